# The exact `serviceConfig` of every ai-stack unit for a tier. Pure: builtins only.
#
#   serviceConfigs { tier; ... } -> { ai-inference = { ... }; ai-embeddings; ai-aidb; ai-coordinator; ai-model-download; }
#
# nix/modules applies these attribute sets unchanged (each value with
# lib.mkDefault) and adds only what needs store paths: ExecStart, LoadCredential
# and the config file's Environment. So
#   nix-instantiate --eval --strict --json -E '(import ./lib).serviceConfigs { tier = "micro"; }'
# shows what a host of that tier runs.
let
  tiers = builtins.fromJSON (builtins.readFile ./tiers.json);
  hardenedService = import ./hardened-service.nix;
  budgetLib = import ./memory-budget.nix;
  inherit (budgetLib) memoryToMiB;

  # Inference threads: the tier's value, but never more than cores - 1 (and at
  # least 1). On 2 cores, more threads than cores made generation ~1000x slower.
  inferenceThreads =
    {
      tier,
      cpuCores ? null,
      kind ? "inference",
    }:
    let
      wanted = tiers.${tier}.${kind}.threads;
      limit = if cpuCores == null then wanted else (if cpuCores - 1 < 1 then 1 else cpuCores - 1);
    in
    if wanted < limit then wanted else limit;

  serviceConfigs =
    {
      tier,
      model ? null,
      embeddingModel ? null,
      rerankModel ? null,
      useTierDefaults ? true,
      gpuDevices ? [ ],
      remoteLlmAddresses ? [ ],
      # Networks whose clients may reach ai-coordinator (services.ai-stack.listen.allowedNetworks).
      clientNetworks ? [ ],
      modelStoreUser ? "ai-stack-models",
      modelsDir ? "/var/lib/ai-stack/models",
      # lib.memoryBudget's `units` for the host; default: the tier's settings
      # and these models (nix/modules passes the host's, settings included).
      memory ? null,
    }:
    let
      t = tiers.${tier} or (throw "serviceConfigs: unknown tier '${toString tier}' (known: ${builtins.concatStringsSep ", " (builtins.attrNames tiers)})");
      chat = if model != null then model else t.defaultModel;
      embed = if embeddingModel != null || !useTierDefaults then embeddingModel else t.embeddingModel;
      rerank = if rerankModel != null || !useTierDefaults then rerankModel else t.rerankModel;
      units =
        if memory != null then
          memory
        else
          (budgetLib.memoryBudget {
            inherit tier;
            systemRamGb = 0;
            model = chat;
            embeddingModel = embed;
            rerankModel = rerank;
          }).units;
      # MemoryHigh is the unit's computed need (the kernel reclaims and
      # throttles above it); MemoryMax, 10% above, is the hard cap.
      limitsOf =
        unit:
        let
          u = units.${unit} or null;
        in
        if u == null then
          {
            memoryMax = t.memoryMax;
            high = { };
          }
        else
          {
            inherit (u) memoryMax;
            high.MemoryHigh = u.memoryHigh;
          };
      # The unit's memory: hardenedService's MemoryMax plus MemoryHigh.
      hardenedWithMemory =
        unit: args:
        let
          l = limitsOf unit;
        in
        hardenedService (args // { inherit (l) memoryMax; }) // l.high;
      restart = {
        Restart = "on-failure";
        RestartSec = "5s";
      };
      gpuExtras =
        if gpuDevices == [ ] then
          { }
        else
          {
            SupplementaryGroups = [
              "render"
              "video"
            ];
          };
    in
    {
      ai-inference =
        hardenedWithMemory "ai-inference" {
          inherit gpuDevices;
        }
        // restart
        // gpuExtras
        // {
          # Relaxation: inference may mlock the model; MemoryMax still caps the unit.
          LimitMEMLOCK = "infinity";
        };

      # Runs only where the tier keeps embeddings in their own unit (not nano).
      ai-embeddings =
        hardenedWithMemory "ai-embeddings" { }
        // restart
        // {
          # Relaxation: see ai-inference.
          LimitMEMLOCK = "infinity";
        };

      ai-aidb =
        hardenedWithMemory "ai-aidb" { }
        // restart
        // {
          # The (dynamic) user's name is the PostgreSQL role: peer authentication on the Unix socket.
          User = "aidb";
        };

      ai-coordinator =
        hardenedWithMemory "ai-coordinator" {
          # Relaxation: the coordinator alone may reach the remote LLM, and be reached from the allowed networks.
          ipAddressAllow = [ "localhost" ] ++ remoteLlmAddresses ++ clientNetworks;
        }
        // restart
        // {
          # routing-config.json and the telemetry JSONL live here, private to the
          # unit's dynamic user. No database: interactions, feedback and gaps go
          # to aidb's database through aidb's /interactions API.
          StateDirectory = "ai-coordinator";
          StateDirectoryMode = "0700";
        };

      ai-model-download =
        hardenedService {
          memoryMax = t.memoryMax;
          internet = true;
          staticUser = modelStoreUser;
        }
        // {
          # Not a oneshot: activation (nixos-rebuild switch) waits for a
          # oneshot's start job, which would be the whole download. The unit is
          # started once the script runs; inference does not wait for it.
          Type = "exec";
          RemainAfterExit = true;
          # A failed download (exit 75) is resumed after a pause; a refusal
          # (exit 1) needs a registry fix, and retrying would fetch it again.
          Restart = "on-failure";
          RestartSec = "1min";
          RestartPreventExitStatus = "1";
          ReadWritePaths = [ modelsDir ];
          # Relaxation: weights must be readable by the DynamicUser inference units.
          UMask = "0022";
        };
    };
in
{
  inherit
    serviceConfigs
    memoryToMiB
    inferenceThreads
    ;
  unitNames = [
    "ai-inference"
    "ai-embeddings"
    "ai-aidb"
    "ai-coordinator"
    "ai-model-download"
  ];
}
