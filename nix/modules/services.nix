# The four service units (ai-inference, ai-embeddings, ai-aidb, ai-coordinator)
# and their JSON config files. Their serviceConfig comes from
# lib.serviceConfigs, unchanged; this file adds ExecStart, credentials and the
# config file, checked at build time by the service's own config loader.
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
  inherit (aiLib) loopback settingsServices;
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
    clientNetworks = cfg.listen.allowedNetworks;
    memory = budget.units;
  };

  # The llama.cpp backend ai-inference asks for: NVIDIA takes CUDA when its
  # runtime is there (gpu.cudaLibraries) and else the driver's Vulkan; AMD
  # and Intel take Vulkan (Mesa's RADV and ANV).
  gpuSetting =
    if !cfg.gpu.enable then
      "off"
    else if cfg.facts.gpuVendor == "nvidia" then
      "auto"
    else
      "vulkan";

  # On the smallest tier ai-inference also serves embeddings (one llama.cpp
  # runtime instead of two; lib/tiers.json embeddings.separateUnit).
  separateEmbeddings = tier.embeddings.separateUnit;
  embeddingsPort = if separateEmbeddings then cfg.ports.inferenceEmbed else cfg.ports.inferenceChat;
  embeddingsSettings = if separateEmbeddings then cfg.settings.embeddings else cfg.settings.inference;

  # What every unit needs in RAM (and ai-inference in VRAM), from the final
  # settings: lib/memory-budget.nix. MemoryHigh/MemoryMax and the V8 heaps
  # come from it, and assertions.nix checks that it fits the host.
  budget = aiLib.memoryBudget {
    tier = cfg.hardwareTier;
    inherit (cfg.facts) systemRamGb vramGb;
    gpu = gpuSetting;
    inherit (cfg) model embeddingModel rerankModel;
    inference = {
      inherit (cfg.settings.inference) contextSize sequences batchSize kvCacheType;
      gpuLayers = cfg.settings.inference.gpuLayers or "auto";
    };
    embeddings = {
      contextSize = embeddingsSettings.embedContextSize or embeddingsSettings.contextSize or tier.embeddings.contextSize;
      contexts = embeddingsSettings.embedContexts or tier.embeddings.contexts;
    };
    monitoring = cfg.monitoring.enable;
    gpuMetrics = cfg.monitoring.enable && builtins.elem cfg.facts.gpuVendor [ "amd" "nvidia" ];
  };

  # The embedding (and ranking) model settings, for whichever unit serves them.
  embeddingModelSettings =
    lib.optionalAttrs (modelPaths.embedding != null) { embedModel = modelPaths.embedding; }
    // lib.optionalAttrs (registrySha "embedding" cfg.embeddingModel != null) {
      embedModelSha256 = registrySha "embedding" cfg.embeddingModel;
    }
    // lib.optionalAttrs (modelPaths.rerank != null) { rerankModel = modelPaths.rerank; }
    // lib.optionalAttrs (registrySha "rerank" cfg.rerankModel != null) {
      rerankModelSha256 = registrySha "rerank" cfg.rerankModel;
    };

  credentialPath = unit: name: "/run/credentials/${unit}.service/${name}";

  # Keys (the user's hashes and the internal key, both systemd credentials),
  # the audit writer's socket and the rate limits: the same for every service
  # (aidb and the coordinator share a key's buckets through Redis). See access.nix.
  keysEnforced = cfg.apiKeysFile != null;
  accessSettings =
    unit:
    {
      rateLimitWindowMs = cfg.rateLimits.windowMs;
      rateLimitHigh = cfg.rateLimits.high;
      rateLimitMedium = cfg.rateLimits.medium;
      rateLimitLow = cfg.rateLimits.low;
      rateLimitPerKey = cfg.rateLimits.perKey;
      rateLimitPerKeyWindowMs = cfg.rateLimits.perKeyWindowMs;
      ingestDocumentsPerWindow = cfg.rateLimits.ingestDocuments;
    }
    // lib.optionalAttrs keysEnforced {
      apiKeysFile = credentialPath unit "api-keys";
      internalKeyFile = credentialPath unit "internal-key";
    }
    // lib.optionalAttrs cfg.audit.enable { auditSocket = aiLib.auditSocket; };
  accessCredentials = lib.optionals keysEnforced [
    "api-keys:${cfg.apiKeysFile}"
    "internal-key:${aiLib.internalKeyFile}"
  ];

  threads = kind: aiLib.inferenceThreads {
    tier = cfg.hardwareTier;
    inherit (cfg.facts) cpuCores;
    inherit kind;
  };

  # Each settings block rendered to JSON and checked the way monitoring.nix
  # checks the alert rules with promtool: the service's own config loader
  # (`aq config check`, the schema and messages of `aq serve` at boot, without
  # environment or flags) runs on the file at build time, so a setting the
  # service would refuse fails the build instead of the deploy. The unit reads
  # the checked copy. Files the config names (models, key files) exist only on
  # the target, so only the schema is checked.
  checkedConfig =
    name: s:
    pkgs.runCommand "${s.unit}.json"
      {
        settings = jsonFormat.generate "${s.unit}-settings.json" cfg.settings.${name};
      }
      ''
        if ! ${lib.getExe cfg.package} config check --service ${s.service} "$settings"; then
          echo "services.ai-stack.settings.${name} is not a valid ${s.service} config; the key is named above." >&2
          exit 1
        fi
        cp "$settings" "$out"
      '';

  # Keyed by unit: ai-inference, ai-embeddings, ai-aidb, ai-coordinator.
  configFiles = lib.mapAttrs' (name: s: lib.nameValuePair s.unit (checkedConfig name s)) settingsServices;

  # host and port of settings.<name>: loopback, and its lib/ports.json entry
  # through services.ai-stack.ports (assertions.nix refuses any other value).
  listenOn = name: {
    # The coordinator alone may listen beyond loopback (listen.address; assertions.nix wants keys then).
    host = if name == "coordinator" then cfg.listen.address else loopback;
    port = cfg.ports.${settingsServices.${name}.port};
  };

  # Registry models without a local file: ai-model-download fetches these.
  # The small retrieval models first: nothing replaces embeddings (aidb waits
  # for them to ingest and search), while a remote can answer until the chat
  # model, the largest download, is in place.
  downloadIds = builtins.filter (id: id != null) [
    (if cfg.modelFiles.embedding == null then cfg.embeddingModel else null)
    (if cfg.modelFiles.rerank == null then cfg.rerankModel else null)
    (if cfg.modelFiles.chat == null then cfg.model else null)
  ];
  downloadNeeded = cfg.modelDownload.enable && downloadIds != [ ];
  embeddingsWanted = separateEmbeddings && (modelPaths.embedding != null || modelPaths.rerank != null);

  # The progress file ai-model-download writes (model-download.nix names the
  # same file). A unit whose model is downloaded gets it: the service starts
  # without the file, reports `downloading` and loads the model when it is in place.
  downloadStatus = lib.optionalAttrs downloadNeeded { modelDownloadStatusFile = "${modelsDir}/download-status.json"; };
  downloads = kind: id: cfg.modelFiles.${kind} == null && id != null && builtins.elem id downloadIds;

  # Facts of a registry model (not of a local file, which may be anything).
  registryModel = kind: id: if cfg.modelFiles.${kind} != null || id == null then null else aiLib.modelById id;
  chatFacts = registryModel "chat" cfg.model;
  embedPrefixes =
    let
      m = registryModel "embedding" cfg.embeddingModel;
    in
    if m == null then null else m.prefixes or null;

  # The unit that runs settings.<settings>: `aq serve <service>` with the checked config file.
  mkUnit =
    {
      settings,
      description,
      after ? [ ],
      requires ? [ ],
      credentials ? [ ],
    }:
    let
      inherit (settingsServices.${settings}) unit service;
      # The units every service needs before it starts: its internal key, the audit writer.
      accessUnits = lib.optional keysEnforced "ai-stack-internal-key.service" ++ lib.optional cfg.audit.enable "ai-stack-audit.service";
    in
    {
      inherit description;
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" ] ++ after ++ accessUnits;
      requires = requires ++ lib.optional keysEnforced "ai-stack-internal-key.service";
      wants = lib.optional cfg.audit.enable "ai-stack-audit.service";
      environment = {
        AI_STACK_CONFIG = "${configFiles.${unit}}";
        # V8's old space sized from the unit's memory (lib/memory-budget.nix):
        # without it V8 grows its heap towards its own default, past the unit's cap.
        NODE_OPTIONS = "--max-old-space-size=${toString budget.units.${unit}.heapMiB}";
      };
      serviceConfig =
        lib.mapAttrs (_: lib.mkDefault) unitConfigs.${unit}
        // {
          ExecStart = "${lib.getExe cfg.package} serve ${service} --config ${configFiles.${unit}}";
        }
        // lib.optionalAttrs (credentials ++ accessCredentials != [ ]) { LoadCredential = credentials ++ accessCredentials; }
        # The audit writer's socket is reachable by its group only.
        // lib.optionalAttrs cfg.audit.enable {
          SupplementaryGroups = (unitConfigs.${unit}.SupplementaryGroups or [ ]) ++ [ aiLib.auditGroup ];
        };
    };
in
{
  config = lib.mkMerge [
    {
      # The tier's model, unless the host picks one.
      services.ai-stack.model = lib.mkDefault (
        aiLib.selectModel {
          tier = cfg.hardwareTier;
          inherit (cfg.facts) systemRamGb vramGb;
          gpu = gpuSetting;
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
        memoryBudget = budget;
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
          listenOn "inference"
          // accessSettings "ai-inference"
          // {
            chatModel = modelPaths.chat;
            threads = threads "inference";
            inherit (tier.inference)
              contextSize
              sequences
              queueLimit
              batchSize
              kvCacheType
              ;
            gpu = gpuSetting;
            # A CPU backend where the facts promise a GPU is a fallback: logged and counted.
            gpuExpected = cfg.gpu.enable;
          }
          // lib.optionalAttrs (cfg.facts.memoryBandwidthGBs != null) {
            memoryBandwidthBytesPerSecond = builtins.floor (cfg.facts.memoryBandwidthGBs * 1.0e9);
          }
          // lib.optionalAttrs (!separateEmbeddings) (
            embeddingModelSettings
            // {
              embedContextSize = tier.embeddings.contextSize;
              embedContexts = tier.embeddings.contexts;
            }
          )
          // lib.optionalAttrs (registrySha "chat" cfg.model != null) { chatModelSha256 = registrySha "chat" cfg.model; }
          // lib.optionalAttrs (
            downloads "chat" cfg.model
            || (!separateEmbeddings && (downloads "embedding" cfg.embeddingModel || downloads "rerank" cfg.rerankModel))
          ) downloadStatus
          # What the model can do, for the router (GET /status capabilities).
          // lib.optionalAttrs (chatFacts != null) {
            chatModelStructuredOutput = builtins.elem "json_schema" chatFacts.capabilities;
            chatModelToolCalling = builtins.elem "tools" chatFacts.capabilities;
          }
        );
        # The same service, second instance: embeddings and reranking only.
        embeddings = lib.mapAttrs (_: lib.mkDefault) (
          listenOn "embeddings"
          // accessSettings "ai-embeddings"
          // {
            threads = threads "embeddings";
            inherit (tier.embeddings) contextSize;
            embedContexts = tier.embeddings.contexts;
            # Embeddings and reranking stay on the CPU; the GPU is the chat model's.
            gpu = "off";
          }
          // embeddingModelSettings
          // lib.optionalAttrs (downloads "embedding" cfg.embeddingModel || downloads "rerank" cfg.rerankModel) downloadStatus
        );
        aidb = lib.mapAttrs (_: lib.mkDefault) (
          listenOn "aidb"
          // {
            # Unix socket, peer authentication as the unit's user "aidb".
            databaseUrl = "postgresql://aidb@/aidb?host=/run/postgresql&port=${toString cfg.ports.postgres}";
            embeddingsUrl = url embeddingsPort;
            # The embedding cache, and the version stamps that invalidate the coordinator's semantic cache.
            redisUrl = "redis://${loopback}:${toString cfg.ports.redis}";
          }
          # The embedding model's prefixes (nomic-embed-text: search_query: / search_document:).
          // lib.optionalAttrs (embedPrefixes != null) {
            embedQueryPrefix = embedPrefixes.query;
            embedDocumentPrefix = embedPrefixes.document;
          }
          // accessSettings "ai-aidb"
        );
        coordinator = lib.mapAttrs (_: lib.mkDefault) (
          listenOn "coordinator"
          // {
            inferenceUrl = url cfg.ports.inferenceChat;
            embeddingsUrl = url embeddingsPort;
            aidbUrl = url cfg.ports.aidb;
            redisUrl = "redis://${loopback}:${toString cfg.ports.redis}";
            # The unit's StateDirectory: routing-config.json and telemetry.jsonl. Interactions,
            # feedback and gaps live in aidb's database (through aidb's /interactions API).
            stateDir = "/var/lib/ai-coordinator";
          }
          # The reranker the embeddings instance loads, wherever the tier has one.
          // lib.optionalAttrs (modelPaths.rerank != null) { rerankUrl = url embeddingsPort; }
          # Questions embedded for the semantic cache get the embedding model's query prefix, as aidb's searches do.
          // lib.optionalAttrs (embedPrefixes != null) { embedQueryPrefix = embedPrefixes.query; }
          // lib.optionalAttrs (cfg.remoteLlm.url != null) { remoteLlmUrl = cfg.remoteLlm.url; }
          // lib.optionalAttrs (cfg.remoteLlm.keyFile != null) {
            remoteLlmKeyFile = credentialPath "ai-coordinator" "remote-llm-key";
          }
          // accessSettings "ai-coordinator"
        );
      };

      systemd.services = {
        # Neither waits for ai-model-download (it runs in the background):
        # each starts without a model still being downloaded and loads it
        # when it appears.
        ai-inference = mkUnit {
          settings = "inference";
          description = "AI stack: chat inference (llama.cpp)";
        };

        ai-embeddings = lib.mkIf embeddingsWanted (mkUnit {
          settings = "embeddings";
          description = "AI stack: embeddings and reranking (llama.cpp)";
        });

        ai-aidb = mkUnit {
          settings = "aidb";
          description = "AI stack: knowledge store (PostgreSQL + pgvector)";
          after = [
            "postgresql.service"
            "postgresql-setup.service"
            "redis-ai-stack.service"
          ];
          requires = [
            "postgresql.service"
            "postgresql-setup.service"
          ];
        };

        ai-coordinator = mkUnit {
          settings = "coordinator";
          description = "AI stack: RAG coordinator and local/remote routing";
          after = [
            "ai-inference.service"
            "ai-embeddings.service"
            "ai-aidb.service"
            "redis-ai-stack.service"
          ];
          requires = [ "redis-ai-stack.service" ];
          credentials = lib.optional (cfg.remoteLlm.keyFile != null) "remote-llm-key:${cfg.remoteLlm.keyFile}";
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
      systemd.services.ai-inference.environment.LD_LIBRARY_PATH = lib.concatStringsSep ":" (
        [ "${pkgs.addDriverRunpath.driverLink}/lib" ] ++ map (p: "${lib.getLib p}/lib") cfg.gpu.cudaLibraries
      );
    })

    # The NVIDIA driver (kernel module, libcuda.so.1 and its Vulkan ICD in
    # /run/opengl-driver) on hosts whose facts say NVIDIA. It is unfree: the
    # host accepts its licence (nixpkgs.config.allowUnfreePredicate with
    # "nvidia-x11", see hosts/workstation). The open kernel module needs a
    # Turing (RTX 20xx) or newer card; set hardware.nvidia.open = false for older ones.
    (lib.mkIf (cfg.enable && cfg.gpu.enable && cfg.facts.gpuVendor == "nvidia") {
      services.xserver.videoDrivers = lib.mkDefault [ "nvidia" ];
      hardware.nvidia.open = lib.mkDefault true;
    })
  ];
}
