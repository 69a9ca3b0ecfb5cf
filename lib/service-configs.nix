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
  modelsLib = import ./models.nix;
  hardenedService = import ./hardened-service.nix;

  # "256M" / "1G" -> MiB.
  memoryToMiB =
    s:
    let
      m = builtins.match "([0-9]+)([MG])" s;
    in
    if m == null then
      throw "memoryToMiB: expected <number>M or <number>G, got '${toString s}'"
    else
      let
        n = builtins.fromJSON (builtins.head m);
      in
      if builtins.elemAt m 1 == "G" then n * 1024 else n;

  # Memory for a unit that loads models: the tier's per-service cap, raised to
  # 1.2x the models' RAM need when that is larger. Model weights are mmapped
  # and their pages count against the unit's cgroup; a cap below the model size
  # makes the kernel re-read the weights from disk for every token.
  modelUnitMemoryMax =
    { tier, ramGb }:
    let
      tierMiB = memoryToMiB tiers.${tier}.memoryMax;
      needMiB = builtins.ceil (ramGb * 1024 * 1.2);
    in
    if needMiB > tierMiB then "${toString needMiB}M" else tiers.${tier}.memoryMax;

  ramOf = id: if id == null then 0 else (modelsLib.modelById id).ram_required_gb;

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
      modelStoreUser ? "ai-stack-models",
      modelsDir ? "/var/lib/ai-stack/models",
    }:
    let
      t = tiers.${tier} or (throw "serviceConfigs: unknown tier '${toString tier}' (known: ${builtins.concatStringsSep ", " (builtins.attrNames tiers)})");
      chat = if model != null then model else t.defaultModel;
      embed = if embeddingModel != null || !useTierDefaults then embeddingModel else t.embeddingModel;
      rerank = if rerankModel != null || !useTierDefaults then rerankModel else t.rerankModel;
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
        hardenedService {
          memoryMax = modelUnitMemoryMax {
            inherit tier;
            ramGb = ramOf chat;
          };
          inherit gpuDevices;
        }
        // restart
        // gpuExtras
        // {
          # Relaxation: inference may mlock the model; MemoryMax still caps the unit.
          LimitMEMLOCK = "infinity";
        };

      ai-embeddings =
        hardenedService {
          memoryMax = modelUnitMemoryMax {
            inherit tier;
            ramGb = ramOf embed + ramOf rerank;
          };
        }
        // restart
        // {
          # Relaxation: see ai-inference.
          LimitMEMLOCK = "infinity";
        };

      ai-aidb =
        hardenedService { memoryMax = t.memoryMax; }
        // restart
        // {
          # The (dynamic) user's name is the PostgreSQL role: peer authentication on the Unix socket.
          User = "aidb";
        };

      ai-coordinator =
        hardenedService {
          memoryMax = t.memoryMax;
          # Relaxation: the coordinator alone may reach the remote LLM.
          ipAddressAllow = [ "localhost" ] ++ remoteLlmAddresses;
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
    modelUnitMemoryMax
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
