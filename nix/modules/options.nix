# services.ai-stack options. The values that depend on the hardware come from
# lib/ (tiers.json, models.json, ports.json), so a host changes only its facts.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.ai-stack;
  aiLib = import ../../lib;
  inherit (lib)
    types
    mkOption
    mkEnableOption
    literalExpression
    ;
  jsonFormat = pkgs.formats.json { };

  idsWith = cap: map (m: m.id) (builtins.filter (m: builtins.elem cap m.capabilities) aiLib.models);

  tier = aiLib.tiers.${cfg.hardwareTier};

  absolutePath = types.addCheck types.str (s: builtins.substring 0 1 s == "/") // {
    description = "absolute path";
  };

  portOption =
    name: default:
    mkOption {
      type = types.port;
      inherit default;
      defaultText = literalExpression "(lib.importJSON ./lib/ports.json).${name}";
      description = "TCP port of ${name}, on 127.0.0.1. Defaults to lib/ports.json.";
    };

  # The optional services' ports (Open WebUI, Qdrant): lib/ports.json's entry,
  # or null where it has none; the service then needs one set here.
  optionalPortOption =
    name: what:
    mkOption {
      type = types.nullOr types.port;
      default = aiLib.ports.${name} or null;
      defaultText = literalExpression "(lib.importJSON ./lib/ports.json).${name} or null";
      example = 18090;
      description = "TCP port of ${what}, on 127.0.0.1. Required when ${what} is enabled.";
    };

  settingsOption =
    unit:
    mkOption {
      type = types.submodule { freeformType = jsonFormat.type; };
      default = { };
      example = literalExpression ''{ queueLimit = 20; }'';
      description = ''
        Settings for ${unit}, rendered to its JSON config file (passed with
        `--config` and `AI_STACK_CONFIG`) and checked at build time with
        `aq config check`, so a key or value the service would refuse fails the
        build. The module fills in host, port, model paths and the tier's
        tuning with `lib.mkDefault`; anything set here wins, except host and
        port: set `services.ai-stack.ports` instead (an assertion says so).
        The file is world-readable in the Nix store: no secrets here, use
        `services.ai-stack.apiKeysFile` and `services.ai-stack.remoteLlm.keyFile`.
      '';
    };

  modelFileOption =
    what:
    mkOption {
      type = types.nullOr absolutePath;
      default = null;
      example = "/srv/models/my-model.gguf";
      description = ''
        A local GGUF file to use as the ${what} model instead of downloading the
        registry entry. ai-model-download skips a model that has a file here.
      '';
    };
in
{
  options.services.ai-stack = {
    enable = mkEnableOption "the personal AI stack (inference, embeddings, aidb, coordinator)";

    facts = {
      systemRamGb = mkOption {
        type = types.ints.positive;
        example = 8;
        description = "System RAM in GB as the OS reports it (after any iGPU carve-out).";
      };
      hasDiscreteGpu = mkOption {
        type = types.bool;
        default = false;
        description = "Whether the host has a discrete GPU with its own VRAM.";
      };
      gpuVendor = mkOption {
        type = types.enum [
          "none"
          "amd"
          "intel"
          "nvidia"
        ];
        default = "none";
        description = "Vendor of the GPU (integrated or discrete), or none.";
      };
      cpuVendor = mkOption {
        type = types.enum [
          "amd"
          "intel"
          "arm"
          "other"
        ];
        default = if cfg.facts.cpuArchitecture == "aarch64" then "arm" else "other";
        defaultText = literalExpression ''if facts.cpuArchitecture == "aarch64" then "arm" else "other"'';
        description = "CPU vendor; selects AMD- or Intel-only tuning (amd_pstate, thermald).";
      };
      cpuArchitecture = mkOption {
        type = types.enum [
          "x86_64"
          "aarch64"
          "riscv64"
          "armv7l"
          "armv6l"
          "i686"
        ];
        default = pkgs.stdenv.hostPlatform.parsed.cpu.name;
        defaultText = literalExpression "pkgs.stdenv.hostPlatform.parsed.cpu.name";
        description = "CPU architecture; it caps the hardware tier (see docs/tiers.md).";
      };
      cpuCores = mkOption {
        type = types.nullOr types.ints.positive;
        default = null;
        example = 4;
        description = "Logical CPUs. When set, inference threads are capped at cores - 1.";
      };
      vramGb = mkOption {
        type = types.nullOr (types.either types.ints.positive types.float);
        default = null;
        example = 24;
        description = ''
          Memory of the GPU in GB: a discrete card's VRAM, or an integrated
          GPU's dedicated carve-out. With gpuVendor, it turns GPU offload on
          (services.ai-stack.gpu.enable), and the offloaded layers, KV cache and
          compute buffers must fit in it (an assertion says so). null: no GPU
          offload.
        '';
      };
      memoryBandwidthGBs = mkOption {
        type = types.nullOr (types.either types.ints.positive types.float);
        default = null;
        example = 51.2;
        description = ''
          Memory bandwidth in GB/s (the spec sheet's figure, or
          `npm run bench -- bandwidth` on the machine). The inference service
          exports it, and the dashboard's "Generation vs. memory-bandwidth
          ceiling" panel divides it by the model's bytes per token.
        '';
      };
    };

    hardwareTier = mkOption {
      type = types.enum aiLib.tierNames;
      default = aiLib.hardwareTier {
        inherit (cfg.facts) systemRamGb hasDiscreteGpu cpuArchitecture;
      };
      defaultText = literalExpression "(import ./lib).hardwareTier { inherit (facts) systemRamGb hasDiscreteGpu cpuArchitecture; }";
      description = "Hardware tier; selects memory caps, models and tuning from lib/tiers.json.";
    };

    model = mkOption {
      type = types.enum (idsWith "chat");
      example = "qwen2.5-7b-q4_k_m";
      description = ''
        Chat model, a registry id from lib/models.json. Defaults (with
        lib.mkDefault) to the tier's model, or a smaller one when it would take
        more than 70% of RAM.
      '';
    };

    embeddingModel = mkOption {
      type = types.nullOr (types.enum (idsWith "embedding"));
      default = tier.embeddingModel;
      defaultText = literalExpression "tiers.\${hardwareTier}.embeddingModel";
      description = "Embedding model (registry id) served by ai-embeddings, or null for none.";
    };

    rerankModel = mkOption {
      type = types.nullOr (types.enum (idsWith "rerank"));
      default = tier.rerankModel;
      defaultText = literalExpression "tiers.\${hardwareTier}.rerankModel";
      description = "Reranker (registry id) served by ai-embeddings, or null for none.";
    };

    modelFiles = {
      chat = modelFileOption "chat";
      embedding = modelFileOption "embedding";
      rerank = modelFileOption "rerank";
    };

    # One option per key of lib/ports.json, so the two cannot drift apart; the
    # optional services' ports may also be null. These are the only source of
    # the stack's ports: settings.<service>.port is rendered from them
    # (assertions.nix refuses another value there), and so are the scrape
    # targets and the URLs each service calls the others by.
    ports = lib.mapAttrs portOption aiLib.ports // {
      openWebui = optionalPortOption "openWebui" "Open WebUI";
      qdrantHttp = optionalPortOption "qdrantHttp" "Qdrant's HTTP API";
      qdrantGrpc = optionalPortOption "qdrantGrpc" "Qdrant's gRPC API";
    };

    remoteLlm = {
      url = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "https://llm.example.org/v1";
        description = "OpenAI-compatible remote LLM the coordinator may route to. Only ai-coordinator may reach it.";
      };
      keyFile = mkOption {
        type = types.nullOr absolutePath;
        default = null;
        example = "/run/secrets/remote-llm-key";
        description = ''
          File with the remote LLM's API key, outside the Nix store. Passed to
          ai-coordinator with LoadCredential; the service reads it from
          /run/credentials/ai-coordinator.service/remote-llm-key.
        '';
      };
      allowedAddresses = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "203.0.113.10/32" ];
        description = ''
          IP addresses or prefixes of the remote LLM (IPAddressAllow= of
          ai-coordinator). systemd filters by address, not by host name, so this
          is required when `url` is set.
        '';
      };
    };

    apiKeysFile = mkOption {
      type = types.nullOr absolutePath;
      default = null;
      example = "/run/secrets/ai-stack-api-keys";
      description = ''
        The API keys clients must present, outside the Nix store: one
        `NAME SCOPES sha256:HASH` line per key (`aq keys create --name NAME
        --scopes query,ingest,admin` prints the key once and the line). Only
        hashes are in the file. When set, every service enforces keys: the
        file goes to ai-coordinator, ai-aidb, ai-inference and ai-embeddings
        with LoadCredential (`api-keys`), and ai-stack-internal-key makes the
        key the services use among themselves (once, in
        /var/lib/ai-stack-keys, passed the same way). After editing the file,
        restart those units. Required for a `listen.address` beyond loopback.
      '';
    };

    listen = {
      address = mkOption {
        type = types.str;
        default = aiLib.loopback;
        defaultText = literalExpression ''"127.0.0.1"'';
        example = "192.168.1.10";
        description = ''
          Address ai-coordinator (and Open WebUI, when enabled) listens on; the
          ports are services.ai-stack.ports.coordinator and ports.openWebui.
          Inference, embeddings and aidb always stay on 127.0.0.1. Anything but
          loopback needs apiKeysFile and allowedNetworks (assertions say so);
          see docs/operations.md, "Exposing the stack on a LAN".
        '';
      };
      openFirewall = mkOption {
        type = types.bool;
        default = false;
        description = "Open the coordinator's port (and Open WebUI's, when enabled) in networking.firewall.";
      };
      allowedNetworks = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "192.168.1.0/24" "fd00::/64" ];
        description = ''
          Networks (addresses or CIDR prefixes) whose clients may reach
          ai-coordinator: added to its IPAddressAllow=, which otherwise allows
          loopback only (systemd drops other packets before the service sees them).
        '';
      };
    };

    rateLimits = {
      windowMs = mkOption {
        type = types.ints.between 100 86400000;
        default = 60000;
        description = "Window of the per-tier and ingest limits, in milliseconds.";
      };
      high = mkOption {
        type = types.ints.positive;
        default = 10;
        description = "High-risk calls (reload, gc, delete, fusion weights) per key per window.";
      };
      medium = mkOption {
        type = types.ints.positive;
        default = 60;
        description = "Medium-risk calls (query, chat, ingest, embeddings) per key per window.";
      };
      low = mkOption {
        type = types.ints.positive;
        default = 600;
        description = "Low-risk calls (status, search, models, feedback) per key per window.";
      };
      perKey = mkOption {
        type = types.ints.positive;
        default = 1000;
        description = "Every call of a key together, per perKeyWindowMs.";
      };
      perKeyWindowMs = mkOption {
        type = types.ints.between 100 604800000;
        default = 3600000;
        description = "Window of perKey, in milliseconds.";
      };
      ingestDocuments = mkOption {
        type = types.ints.positive;
        default = 100;
        description = "Documents a key may ingest per window.";
      };
    };

    audit.enable = mkOption {
      type = types.bool;
      default = true;
      description = ''
        The audit trail: every admin-scope and high-risk call is appended, hash
        chained, to /var/lib/ai-audit/audit.jsonl by ai-stack-audit, a writer
        that runs as its own user; the services reach it only through its
        socket (`aq audit verify FILE` checks the chain).
      '';
    };

    settings = {
      inference = settingsOption "ai-inference";
      embeddings = settingsOption "ai-embeddings";
      aidb = settingsOption "ai-aidb";
      coordinator = settingsOption "ai-coordinator";
    };

    stateDir = mkOption {
      type = types.str;
      default = "/var/lib/ai-stack";
      description = "Where the stack keeps its state; models live in `<stateDir>/models`.";
    };

    package = mkOption {
      type = types.package;
      default = cfg.internal.stackPkgs.callPackage ../package.nix {
        inherit (cfg) npmRegistry;
        keepGpuBinaries = cfg.gpu.enable;
      };
      defaultText = literalExpression "pkgs.callPackage ./nix/package.nix { inherit (config.services.ai-stack) npmRegistry; keepGpuBinaries = config.services.ai-stack.gpu.enable; }";
      description = "The package with the `aq` CLI and the service bundles.";
    };

    npmRegistry = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "https://npm.example.org";
      description = ''
        Base URL of the npm registry the package's dependencies come from
        (what `npm config get registry` prints). package-lock.json records no
        tarball URLs, so the build derives them from this; every tarball is
        still pinned by the lockfile's sha512. See docs/deploy.md.
      '';
    };

    nixpkgsTrack = mkOption {
      type = types.enum [
        "stable"
        "unstable"
      ];
      default = "stable";
      description = ''
        Which nixpkgs builds the stack's own packages (the ai-stack package,
        Open WebUI, Qdrant): the system's nixpkgs, or the flake's
        `nixpkgs-unstable` input. The rest of the system is unaffected.
      '';
    };

    gpu.enable = mkOption {
      type = types.bool;
      default = cfg.facts.gpuVendor != "none" && cfg.facts.vramGb != null;
      defaultText = literalExpression ''facts.gpuVendor != "none" && facts.vramGb != null'';
      description = ''
        Offload the chat model to the GPU: ai-inference gets the GPU's device
        nodes (PrivateDevices off, DeviceAllow for the vendor's devices), the
        driver's libraries (hardware.graphics; the NVIDIA driver on NVIDIA) and
        `gpu` = "auto" (NVIDIA: CUDA, else the driver's Vulkan) or "vulkan" (AMD,
        Intel) with `gpuExpected`, so a fall back to the CPU is logged and
        counted. On by default when the facts name a GPU vendor and its vramGb.
      '';
    };

    gpu.cudaLibraries = mkOption {
      type = types.listOf types.package;
      default = [ ];
      example = literalExpression "with pkgs.cudaPackages; [ cuda_cudart libcublas ]";
      description = ''
        The CUDA runtime for node-llama-cpp's CUDA build (libcudart and
        libcublas of the CUDA major version it was built with), put on
        ai-inference's library path. Neither the driver nor the package has
        them; without them an NVIDIA host runs the driver's Vulkan instead.
      '';
    };

    modelDownload = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Run ai-model-download to fetch the selected registry models in the background; inference reports `downloading` until each one is in place.";
      };
      baseUrl = mkOption {
        type = types.str;
        default = "https://huggingface.co";
        description = "Hugging Face endpoint; files come from <baseUrl>/<hf_repo>/resolve/<revision>/<hf_file>, the revision pinned in lib/models.json. https only, except for a mirror on 127.0.0.1 or localhost.";
      };
      allowlist = mkOption {
        type = types.listOf types.str;
        default = aiLib.allowlist;
        defaultText = literalExpression "(lib.importJSON ./lib/models.json).allowlist";
        description = "Repositories the downloader accepts. A model from any other repository is refused.";
      };
    };

    monitoring.enable = mkOption {
      type = types.bool;
      default = tier.monitoring;
      defaultText = literalExpression "tiers.\${hardwareTier}.monitoring";
      description = "Prometheus, node-exporter and Grafana on localhost (off on nano).";
    };

    monitoring.grafanaSecretKeyFile = mkOption {
      type = types.nullOr absolutePath;
      default = null;
      description = "Grafana's secret_key file. When null, one is generated under /var/lib/grafana on first start.";
    };

    webUi.enable = mkOption {
      type = types.bool;
      default = false;
      description = "Open WebUI on localhost, pointed at the coordinator's OpenAI-compatible API. Needs a tier that allows it and `ports.openWebui`.";
    };

    qdrant.enable = mkOption {
      type = types.bool;
      default = false;
      description = "Qdrant on localhost (large tier only). Needs `ports.qdrantHttp` and `ports.qdrantGrpc`.";
    };

    tuning = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Apply the tier's kernel tuning (sysctl profile, huge pages, zram, modules).";
      };
      hugePages = mkOption {
        type = types.enum [
          "never"
          "madvise"
          "reserved"
        ];
        default = tier.hugePages;
        defaultText = literalExpression "tiers.\${hardwareTier}.hugePages";
        description = ''
          Transparent huge pages mode (`never` or `madvise`), or `reserved`:
          vm.nr_hugepages sized to the chat model, with glibc's malloc told to
          use them. `reserved` only helps when the inference service loads the
          model without mmap.
        '';
      };
      zram = {
        enable = mkOption {
          type = types.bool;
          default = tier.zram.enable;
          defaultText = literalExpression "tiers.\${hardwareTier}.zram.enable";
          description = "Compressed swap in RAM (lz4).";
        };
        memoryPercent = mkOption {
          type = types.ints.between 1 100;
          default = if tier.zram.memoryPercent > 0 then tier.zram.memoryPercent else 25;
          defaultText = literalExpression "tiers.\${hardwareTier}.zram.memoryPercent";
          description = "zram size as a share of RAM.";
        };
      };
    };

    internal = {
      nixpkgsUnstable = mkOption {
        type = types.nullOr types.raw;
        default = null;
        internal = true;
        description = "The flake's nixpkgs-unstable input, set by nixosModules.default.";
      };
      stackPkgs = mkOption {
        type = types.raw;
        internal = true;
        readOnly = true;
        description = "The package set the stack's packages come from (see nixpkgsTrack).";
      };
      tier = mkOption {
        type = types.raw;
        internal = true;
        readOnly = true;
        description = "This host's entry of lib/tiers.json.";
      };
      configFiles = mkOption {
        type = types.attrsOf types.raw;
        internal = true;
        readOnly = true;
        description = "Rendered JSON config file per unit.";
      };
      downloadIds = mkOption {
        type = types.listOf types.str;
        internal = true;
        readOnly = true;
        description = "Registry ids ai-model-download fetches (selected models without a local file).";
      };
      unitConfigs = mkOption {
        type = types.attrsOf types.raw;
        internal = true;
        readOnly = true;
        description = "lib.serviceConfigs for this host: the serviceConfig of every unit.";
      };
      modelPaths = mkOption {
        type = types.attrsOf (types.nullOr types.str);
        internal = true;
        readOnly = true;
        description = "Path of each selected model file (chat, embedding, rerank) as the services see it.";
      };
      memoryBudget = mkOption {
        type = types.raw;
        internal = true;
        readOnly = true;
        description = "lib.memoryBudget for this host: each unit's need, MemoryHigh/MemoryMax and heap, the total, and the VRAM split.";
      };
    };
  };
}
