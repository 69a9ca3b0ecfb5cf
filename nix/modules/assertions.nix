# Checks that stop a bad configuration at build time. Each message names the
# option to change. (An invalid hardwareTier string is already refused by its
# enum type, with the option's name in the error.)
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.ai-stack;
  aiLib = import ../../lib;
  tier = aiLib.tiers.${cfg.hardwareTier};
  model = aiLib.modelById cfg.model;
  ram = cfg.facts.systemRamGb;
  collisions = aiLib.portCollisions cfg.ports;
  hostCpu = pkgs.stdenv.hostPlatform.parsed.cpu.name;

  # The memory budget (lib/memory-budget.nix): every unit's need, from the
  # models' architecture and the final settings, must fit the host's RAM
  # after the OS reserve, and the offloaded part of the chat model its VRAM.
  budget = cfg.internal.memoryBudget;
  knobs = budget.knobs;
  inf = "services.ai-stack.settings.inference";
  budgetMessage = ''
    services.ai-stack: the memory budget does not fit this host: the units and services need ${toString budget.totalMiB} MiB, but services.ai-stack.facts.systemRamGb = ${builtins.toJSON ram} leaves ${toString budget.availableMiB} MiB after ${toString budget.osReserveMiB} MiB for the OS.
    Needs (MiB): ${budget.describe}.
    To fit, lower ${inf}.contextSize (now ${toString knobs.contextSize}) or ${inf}.sequences (now ${toString knobs.sequences}), set ${inf}.kvCacheType = "q8_0" (now ${knobs.kvCacheType}), lower ${inf}.batchSize (now ${toString knobs.batchSize}), choose a smaller services.ai-stack.model (now ${knobs.model}), or drop services.ai-stack.rerankModel or services.ai-stack.monitoring.enable.'';
  vramMessage = ''
    services.ai-stack: the chat model's offloaded part needs ${toString budget.vram.needMiB} MiB of VRAM (${toString budget.vram.gpuLayers} of ${toString budget.vram.totalLayers} layers with their KV cache, the compute buffers and ${toString budget.vram.reserveMiB} MiB for the driver), but services.ai-stack.facts.vramGb = ${builtins.toJSON cfg.facts.vramGb} gives ${toString budget.vram.availableMiB} MiB. Set ${inf}.gpuLayers = "auto" (it offloads what fits) or fewer layers (now ${toString knobs.gpuLayers}), lower ${inf}.contextSize (now ${toString knobs.contextSize}) or ${inf}.sequences (now ${toString knobs.sequences}), set ${inf}.kvCacheType = "q8_0", or choose a smaller services.ai-stack.model.'';

  # nixpkgs' open-webui is unfree (its own "Open WebUI License", free = false).
  # We do not accept that licence for the user with a module-level
  # nixpkgs.config.allowUnfreePredicate: nixpkgs.config merges with
  # recursiveUpdate, so our predicate and a host's own (NVIDIA drivers, say)
  # would silently replace one another, and the licence is the operator's to
  # accept. Instead we stop with the option to set. meta.available is false
  # exactly when nixpkgs would refuse to evaluate the package.
  webUiPackage = config.services.open-webui.package;
  webUiUnfree = lib.any (l: !(l.free or true)) (lib.toList (webUiPackage.meta.license or [ ]));
  webUiRefused = webUiUnfree && !(webUiPackage.meta.available or true);

  # services.ai-stack.ports is the one source of each service's port: the
  # module renders it into settings.<name>.port (and host = 127.0.0.1), and
  # Prometheus's scrape targets, Open WebUI and the other services' URLs read
  # the same option. A port or host set in the free-form settings would move
  # the service away from all of them, silently; refuse it and name the option.
  listenAssertions = lib.concatLists (
    lib.mapAttrsToList (
      name: s:
      let
        given = cfg.settings.${name};
        portOption = "services.ai-stack.ports.${s.port}";
      in
      [
        {
          assertion = (given.port or null) == cfg.ports.${s.port};
          message = "services.ai-stack.settings.${name}.port = ${builtins.toJSON (given.port or null)} disagrees with ${portOption} = ${toString cfg.ports.${s.port}}, which Prometheus and the other services use to reach ${s.unit}. Set ${portOption} instead and remove services.ai-stack.settings.${name}.port.";
        }
        (
          if name == "coordinator" then
            {
              assertion = (given.host or null) == cfg.listen.address;
              message = "services.ai-stack.settings.coordinator.host = ${builtins.toJSON (given.host or null)} disagrees with services.ai-stack.listen.address = ${builtins.toJSON cfg.listen.address}. Set services.ai-stack.listen.address instead and remove services.ai-stack.settings.coordinator.host; its port is ${portOption}.";
            }
          else
            {
              assertion = (given.host or null) == aiLib.loopback;
              message = "services.ai-stack.settings.${name}.host = ${builtins.toJSON (given.host or null)}: ${s.unit} listens on ${aiLib.loopback} only (the stack's units may reach loopback only, and the other services and Prometheus call it there). Remove services.ai-stack.settings.${name}.host; its port is ${portOption}.";
            }
        )
      ]
    ) aiLib.settingsServices
  );
in
{
  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.stateDir != "" && lib.hasPrefix "/" cfg.stateDir;
        message = "services.ai-stack.stateDir must be a non-empty absolute path, got \"${cfg.stateDir}\".";
      }
      {
        assertion = model.parameters_b < 14 || ram >= 12;
        message = "services.ai-stack.model = \"${model.id}\" is a ${builtins.toJSON model.parameters_b}B model and needs at least 12 GB of RAM, but services.ai-stack.facts.systemRamGb = ${toString ram}. Choose a smaller model.";
      }
      {
        assertion = collisions == [ ];
        message = "services.ai-stack.ports: ${aiLib.describeCollisions collisions}. Give each service its own port.";
      }
      {
        assertion = cfg.remoteLlm.url == null || cfg.remoteLlm.allowedAddresses != [ ];
        message = "services.ai-stack.remoteLlm.allowedAddresses must list the remote LLM's IP addresses when services.ai-stack.remoteLlm.url is set: ai-coordinator may reach only those.";
      }
      {
        assertion = !cfg.webUi.enable || tier.webUi;
        message = "services.ai-stack.webUi.enable: the ${cfg.hardwareTier} tier does not allow Open WebUI (see lib/tiers.json).";
      }
      {
        assertion = cfg.webUi.enable -> !webUiRefused;
        message = ''
          services.ai-stack.webUi.enable: nixpkgs' open-webui package has an unfree licence (Open WebUI License) that this configuration does not allow. To accept it for this package only, add to the host:
            nixpkgs.config.allowUnfreePredicate = pkg: builtins.elem (lib.getName pkg) [ "open-webui" ];
          (merge "open-webui" into your existing allowUnfreePredicate if you have one; or set nixpkgs.config.allowUnfree = true), or set services.ai-stack.webUi.enable = false.'';
      }
      {
        assertion = !cfg.webUi.enable || cfg.ports.openWebui != null;
        message = "services.ai-stack.ports.openWebui must be set to enable services.ai-stack.webUi.";
      }
      {
        assertion = !cfg.qdrant.enable || tier.qdrant;
        message = "services.ai-stack.qdrant.enable: the ${cfg.hardwareTier} tier does not allow Qdrant (large only, see lib/tiers.json).";
      }
      {
        assertion = !cfg.qdrant.enable || (cfg.ports.qdrantHttp != null && cfg.ports.qdrantGrpc != null);
        message = "services.ai-stack.ports.qdrantHttp and services.ai-stack.ports.qdrantGrpc must be set to enable services.ai-stack.qdrant.";
      }
      {
        assertion = cfg.nixpkgsTrack != "unstable" || cfg.internal.nixpkgsUnstable != null;
        message = "services.ai-stack.nixpkgsTrack = \"unstable\" needs the flake's nixpkgs-unstable input; import the module as nixosModules.default from the flake.";
      }
      {
        assertion = !cfg.gpu.enable || cfg.facts.gpuVendor != "none";
        message = "services.ai-stack.gpu.enable needs services.ai-stack.facts.gpuVendor to name the GPU's vendor.";
      }
      {
        assertion = budget.fits;
        message = budgetMessage;
      }
      {
        assertion = budget.vram.fits;
        message = vramMessage;
      }
      {
        assertion = cfg.facts.cpuArchitecture == hostCpu;
        message = "services.ai-stack.facts.cpuArchitecture = \"${cfg.facts.cpuArchitecture}\" but this system is built for ${hostCpu}; fix the host's facts.nix.";
      }
    ]
    ++ listenAssertions
    ++ [
      {
        # The rule every service also checks at boot, and aq up --host at run time.
        assertion = !(aiLib.isLoopback cfg.listen.address) -> cfg.apiKeysFile != null;
        message = "services.ai-stack.listen.address = \"${cfg.listen.address}\" opens ai-coordinator beyond this machine, but services.ai-stack.apiKeysFile is not set: anyone who can reach it could use the stack. Make keys with `aq keys create --name NAME --scopes query --file FILE`, keep FILE outside the Nix store and set services.ai-stack.apiKeysFile = FILE; or set services.ai-stack.listen.address = \"127.0.0.1\".";
      }
      {
        assertion = !(aiLib.isLoopback cfg.listen.address) -> cfg.listen.allowedNetworks != [ ];
        message = "services.ai-stack.listen.allowedNetworks is empty, so ai-coordinator's IPAddressAllow= admits loopback only and clients could not reach it on ${cfg.listen.address}. List the networks they connect from, e.g. services.ai-stack.listen.allowedNetworks = [ \"192.168.1.0/24\" ];";
      }
    ];

    warnings =
      lib.optional (aiLib.exceedsRamBudget {
        model = cfg.model;
        systemRamGb = ram;
      }) "services.ai-stack.model: model may exhaust available RAM on this tier (${model.id} needs ${builtins.toJSON model.ram_required_gb} GB, more than 70% of the ${builtins.toJSON ram} GB in services.ai-stack.facts.systemRamGb)."
      ++ lib.optional (cfg.webUi.enable && cfg.apiKeysFile != null) "services.ai-stack.webUi: the coordinator enforces API keys (services.ai-stack.apiKeysFile), so Open WebUI must send one: give it a key with the query scope as its OpenAI API key (in its admin settings, or OPENAI_API_KEY and RAG_OPENAI_API_KEY in its environment from a file outside the Nix store); without one its requests get 401.";
  };
}
