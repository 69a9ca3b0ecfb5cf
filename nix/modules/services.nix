# The four service units (ai-inference, ai-embeddings, ai-aidb, ai-coordinator)
# and their JSON config files. Their serviceConfig comes from
# lib.serviceConfigs, unchanged; this file adds ExecStart, credentials and the
# config file.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.ai-stack;
  aiLib = import ../../lib;
  jsonFormat = pkgs.formats.json { };
  tier = aiLib.tiers.${cfg.hardwareTier};
  loopback = "127.0.0.1";
  url = port: "http://${loopback}:${toString port}";

  modelsDir = "${cfg.stateDir}/models";
  modelPath =
    kind: id:
    if cfg.modelFiles.${kind} != null then
      cfg.modelFiles.${kind}
    else if id == null then
      null
    else
      "${modelsDir}/${(aiLib.modelById id).hf_file}";

  # The registry sha256 of a model that comes from the registry (not a local file).
  registrySha =
    kind: id: if cfg.modelFiles.${kind} != null || id == null then null else (aiLib.modelById id).sha256;

  modelPaths = {
    chat = modelPath "chat" cfg.model;
    embedding = modelPath "embedding" cfg.embeddingModel;
    rerank = modelPath "rerank" cfg.rerankModel;
  };

  gpuDevices =
    if !cfg.gpu.enable then
      [ ]
    else if cfg.facts.gpuVendor == "nvidia" then
      [
        "/dev/nvidia0"
        "/dev/nvidiactl"
        "/dev/nvidia-uvm"
        "/dev/nvidia-uvm-tools"
      ]
    else
      [ "char-drm" ];

  unitConfigs = aiLib.serviceConfigs {
    tier = cfg.hardwareTier;
    inherit (cfg) model embeddingModel rerankModel;
    useTierDefaults = false;
    inherit gpuDevices modelsDir;
    remoteLlmAddresses = cfg.remoteLlm.allowedAddresses;
  };

  credentialPath = unit: name: "/run/credentials/${unit}.service/${name}";

  apiKeySettings =
    unit:
    lib.optionalAttrs (cfg.apiKeysFile != null) {
      apiKeysFile = credentialPath unit "api-keys";
    };

  threads = kind: aiLib.inferenceThreads {
    tier = cfg.hardwareTier;
    inherit (cfg.facts) cpuCores;
    inherit kind;
  };

  configFiles = lib.mapAttrs (name: value: jsonFormat.generate "${name}.json" value) {
    ai-inference = cfg.settings.inference;
    ai-embeddings = cfg.settings.embeddings;
    ai-aidb = cfg.settings.aidb;
    ai-coordinator = cfg.settings.coordinator;
  };

  # Registry models without a local file: ai-model-download fetches these.
  downloadIds = builtins.filter (id: id != null) [
    (if cfg.modelFiles.chat == null then cfg.model else null)
    (if cfg.modelFiles.embedding == null then cfg.embeddingModel else null)
    (if cfg.modelFiles.rerank == null then cfg.rerankModel else null)
  ];
  downloadNeeded = cfg.modelDownload.enable && downloadIds != [ ];
  embeddingsWanted = modelPaths.embedding != null || modelPaths.rerank != null;

  mkUnit =
    {
      name,
      description,
      serve,
      after ? [ ],
      requires ? [ ],
      credentials ? [ ],
    }:
    {
      inherit description;
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" ] ++ after;
      inherit requires;
      environment.AI_STACK_CONFIG = "${configFiles.${name}}";
      serviceConfig =
        lib.mapAttrs (_: lib.mkDefault) unitConfigs.${name}
        // {
          ExecStart = "${lib.getExe cfg.package} serve ${serve} --config ${configFiles.${name}}";
        }
        // lib.optionalAttrs (credentials != [ ]) { LoadCredential = credentials; };
    };

  modelUnitDeps = lib.optionals downloadNeeded [ "ai-model-download.service" ];
in
{
  config = lib.mkMerge [
    {
      # The tier's model, unless the host picks one.
      services.ai-stack.model = lib.mkDefault (
        aiLib.selectModel {
          tier = cfg.hardwareTier;
          inherit (cfg.facts) systemRamGb;
        }
      );
    }

    (lib.mkIf cfg.enable {
      services.ai-stack.internal = {
        tier = tier;
        inherit
          configFiles
          modelPaths
          downloadIds
          unitConfigs
          ;
        stackPkgs =
          if cfg.nixpkgsTrack == "unstable" && cfg.internal.nixpkgsUnstable != null then
            import cfg.internal.nixpkgsUnstable {
              inherit (pkgs.stdenv.hostPlatform) system;
              inherit (config.nixpkgs) config;
            }
          else
            pkgs;
      };

      services.ai-stack.settings = {
        # Keys of services/inference/inferenceConfigSchema.ts (a strict schema).
        # Registry models carry their sha256, so the service re-verifies the file.
        inference = lib.mapAttrs (_: lib.mkDefault) (
          {
            host = loopback;
            port = cfg.ports.inferenceChat;
            chatModel = modelPaths.chat;
            threads = threads "inference";
            inherit (tier.inference) contextSize sequences queueLimit;
          }
          // lib.optionalAttrs (registrySha "chat" cfg.model != null) { chatModelSha256 = registrySha "chat" cfg.model; }
        );
        # The same service, second instance: embeddings and reranking only.
        embeddings = lib.mapAttrs (_: lib.mkDefault) (
          {
            host = loopback;
            port = cfg.ports.inferenceEmbed;
            threads = threads "embeddings";
          }
          // lib.optionalAttrs (modelPaths.embedding != null) { embedModel = modelPaths.embedding; }
          // lib.optionalAttrs (registrySha "embedding" cfg.embeddingModel != null) {
            embedModelSha256 = registrySha "embedding" cfg.embeddingModel;
          }
          // lib.optionalAttrs (modelPaths.rerank != null) { rerankModel = modelPaths.rerank; }
          // lib.optionalAttrs (registrySha "rerank" cfg.rerankModel != null) {
            rerankModelSha256 = registrySha "rerank" cfg.rerankModel;
          }
        );
        aidb = lib.mapAttrs (_: lib.mkDefault) (
          {
            host = loopback;
            port = cfg.ports.aidb;
            # Unix socket, peer authentication as the unit's user "aidb".
            databaseUrl = "postgresql://aidb@/aidb?host=/run/postgresql&port=${toString cfg.ports.postgres}";
            embeddingsUrl = url cfg.ports.inferenceEmbed;
            # The embedding cache, and the version stamps that invalidate the coordinator's semantic cache.
            redisUrl = "redis://${loopback}:${toString cfg.ports.redis}";
          }
          // apiKeySettings "ai-aidb"
        );
        coordinator = lib.mapAttrs (_: lib.mkDefault) (
          {
            host = loopback;
            port = cfg.ports.coordinator;
            inferenceUrl = url cfg.ports.inferenceChat;
            embeddingsUrl = url cfg.ports.inferenceEmbed;
            aidbUrl = url cfg.ports.aidb;
            redisUrl = "redis://${loopback}:${toString cfg.ports.redis}";
            # The unit's StateDirectory: routing-config.json, telemetry.jsonl, interactions (PGlite).
            stateDir = "/var/lib/ai-coordinator";
          }
          // lib.optionalAttrs (cfg.remoteLlm.url != null) { remoteLlmUrl = cfg.remoteLlm.url; }
          // lib.optionalAttrs (cfg.remoteLlm.keyFile != null) {
            remoteLlmKeyFile = credentialPath "ai-coordinator" "remote-llm-key";
          }
          // apiKeySettings "ai-coordinator"
        );
      };

      systemd.services = {
        ai-inference = mkUnit {
          name = "ai-inference";
          description = "AI stack: chat inference (llama.cpp)";
          serve = "inference";
          after = modelUnitDeps;
          requires = modelUnitDeps;
        };

        ai-embeddings = lib.mkIf embeddingsWanted (mkUnit {
          name = "ai-embeddings";
          description = "AI stack: embeddings and reranking (llama.cpp)";
          serve = "inference";
          after = modelUnitDeps;
          requires = modelUnitDeps;
        });

        ai-aidb = mkUnit {
          name = "ai-aidb";
          description = "AI stack: knowledge store (PostgreSQL + pgvector)";
          serve = "aidb";
          after = [
            "postgresql.service"
            "postgresql-setup.service"
            "redis-ai-stack.service"
          ];
          requires = [
            "postgresql.service"
            "postgresql-setup.service"
          ];
          credentials = lib.optional (cfg.apiKeysFile != null) "api-keys:${cfg.apiKeysFile}";
        };

        ai-coordinator = mkUnit {
          name = "ai-coordinator";
          description = "AI stack: RAG coordinator and local/remote routing";
          serve = "coordinator";
          after = [
            "ai-inference.service"
            "ai-embeddings.service"
            "ai-aidb.service"
            "redis-ai-stack.service"
          ];
          requires = [ "redis-ai-stack.service" ];
          credentials =
            lib.optional (cfg.remoteLlm.keyFile != null) "remote-llm-key:${cfg.remoteLlm.keyFile}"
            ++ lib.optional (cfg.apiKeysFile != null) "api-keys:${cfg.apiKeysFile}";
        };
      };
    })

    # GPU offload: llama.cpp's CUDA and Vulkan backends need the driver's
    # user-space libraries (libcuda.so.1, the Vulkan ICDs), which NixOS keeps
    # outside the store at addDriverRunpath.driverLink (/run/opengl-driver),
    # filled by hardware.graphics (plus the NVIDIA driver where it is
    # configured). The package puts that directory in its binaries' RUNPATH;
    # the unit names it too, so a package built elsewhere (services.ai-stack.package)
    # still finds them.
    (lib.mkIf (cfg.enable && cfg.gpu.enable) {
      hardware.graphics.enable = lib.mkDefault true;
      systemd.services.ai-inference.environment.LD_LIBRARY_PATH = "${pkgs.addDriverRunpath.driverLink}/lib";
    })
  ];
}
