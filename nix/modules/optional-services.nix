# Optional services: Open WebUI (tiers that allow it) pointed at the
# coordinator's OpenAI-compatible API, and Qdrant (large tier only). Both
# listen on 127.0.0.1 and are off unless enabled; assertions.nix checks the tier.
{
  config,
  lib,
  options,
  ...
}:
let
  cfg = config.services.ai-stack;
  stackPkgs = cfg.internal.stackPkgs;
  # On the unstable track, take the package from nixpkgs-unstable where the
  # upstream module has a `package` option (older qdrant modules do not).
  packageFrom =
    service: attr:
    lib.optionalAttrs (cfg.nixpkgsTrack == "unstable" && options.services.${service} ? package) {
      package = stackPkgs.${attr};
    };
in
{
  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      (lib.mkIf cfg.webUi.enable {
        services.open-webui = packageFrom "open-webui" "open-webui" // {
          enable = true;
          # With the coordinator on the LAN (services.ai-stack.listen), Open WebUI is there too.
          host = cfg.listen.address;
          port = cfg.ports.openWebui;
          # access.nix opens its port with services.ai-stack.listen.openFirewall.
          openFirewall = false;
          # Open WebUI lists the coordinator's models (ai-stack, local/<name>, remote/<name>) and
          # chats through its front door; its document search embeds through the coordinator's
          # /v1/embeddings (the stack's embedding model and cache) instead of downloading a
          # sentence-transformers model of its own.
          # API key hook (docs/deploy.md "Open WebUI"): when the coordinator enforces keys
          # (services.ai-stack.apiKeysFile), Open WebUI needs a key with the query scope as
          # OPENAI_API_KEY and RAG_OPENAI_API_KEY, from a file outside the Nix store
          # (services.open-webui.environmentFile) or its admin settings; a warning says so.
          environment = {
            OPENAI_API_BASE_URL = "http://127.0.0.1:${toString cfg.ports.coordinator}/v1";
            ENABLE_OPENAI_API = "True";
            RAG_EMBEDDING_ENGINE = "openai";
            RAG_OPENAI_API_BASE_URL = "http://127.0.0.1:${toString cfg.ports.coordinator}/v1";
            # Any name: the coordinator has one embedding model and names it in its answers.
            RAG_EMBEDDING_MODEL = "ai-stack-embeddings";
            ENABLE_OLLAMA_API = "False";
            WEBUI_AUTH = "True";
            ANONYMIZED_TELEMETRY = "False";
            DO_NOT_TRACK = "True";
            SCARF_NO_ANALYTICS = "True";
          };
        };
      })

      (lib.mkIf cfg.qdrant.enable {
        services.qdrant = packageFrom "qdrant" "qdrant" // {
          enable = true;
          settings = {
            service = {
              host = "127.0.0.1";
              http_port = cfg.ports.qdrantHttp;
              grpc_port = cfg.ports.qdrantGrpc;
            };
            telemetry_disabled = true;
          };
        };
      })
    ]
  );
}
