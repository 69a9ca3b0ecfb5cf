# Evaluate nix/modules for one host configuration against the mirrored NixOS
# modules in ./nixos (and the package set of ./stub-pkgs.nix), and return what
# the tests check. Used by tests/nix/*.test.ts:
#   nix-instantiate --eval --strict --json -E \
#     'import ./tests/nix/harness/eval-host.nix { nixpkgsLib = /path/to/lib; modules = [ { ... } ]; }'
# Everything but `toplevel` is a report of option values. `toplevel` stands
# for system.build.toplevel: like nixos/modules/system/activation/top-level.nix
# it throws on a failed assertion, then renders every unit file the way NixOS
# does (nixos/lib/systemd-lib.nix), the sysctl file, tmpfiles, users and the
# system packages, which forces every value and every package they name.
{
  nixpkgsLib,
  modules,
}:
let
  lib = import nixpkgsLib;
  eval = lib.evalModules {
    modules = [
      ./nixos
      ../../../nix/modules
    ]
    ++ modules;
  };
  config = eval.config;
  cfg = config.services.ai-stack;
  systemdLib = import ./nixos/lib/systemd-lib.nix {
    inherit lib;
    pkgs = config._module.args.pkgs;
  };
  # The stack's own units (lib.unitNames) that this host runs.
  aiUnits = lib.filterAttrs (name: _: builtins.elem name (import ../../../lib).unitNames) config.systemd.services;
  extraUnits = builtins.attrNames (lib.filterAttrs (name: _: lib.hasPrefix "ai-stack-" name) config.systemd.services);
  failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
  node = config.services.prometheus.exporters.node;

  toplevel =
    if failedAssertions != [ ] then
      throw "\nFailed assertions:\n${lib.concatMapStringsSep "\n" (m: "- ${m}") failedAssertions}"
    else
      {
        units =
          lib.mapAttrs' (_: u: lib.nameValuePair u.name (systemdLib.serviceToText u)) (
            lib.filterAttrs (_: u: u.enable) config.systemd.services
          )
          // lib.mapAttrs' (_: u: lib.nameValuePair u.name (systemdLib.targetToText u)) (
            lib.filterAttrs (_: u: u.enable) config.systemd.targets
          )
          // lib.mapAttrs' (_: u: lib.nameValuePair u.name (systemdLib.timerToText u)) (
            lib.filterAttrs (_: u: u.enable) config.systemd.timers
          );
        sysctl = lib.concatStrings (
          lib.mapAttrsToList (
            n: v: lib.optionalString (v != null) "${n}=${if v == false then "0" else toString v}\n"
          ) config.boot.kernel.sysctl
        );
        tmpfiles =
          config.systemd.tmpfiles.rules
          ++ lib.concatLists (
            lib.mapAttrsToList (
              _: paths:
              lib.concatLists (
                lib.mapAttrsToList (
                  path: types: lib.mapAttrsToList (_: r: "${r.type} ${path} ${r.mode} ${r.user} ${r.group} ${r.age} ${r.argument}") types
                ) paths
              )
            ) config.systemd.tmpfiles.settings
          );
        # nixos/modules/config/zram.nix writes these into zram-generator.conf.
        zramGenerator = lib.optionalAttrs config.zramSwap.enable (
          lib.genAttrs (map (n: "zram${toString n}") (lib.range 0 (config.zramSwap.swapDevices - 1))) (_: {
            zram-size =
              let
                size = "${toString config.zramSwap.memoryPercent} / 100 * ram";
              in
              if config.zramSwap.memoryMax != null then "min(${size}, ${toString config.zramSwap.memoryMax} / 1024 / 1024)" else size;
            compression-algorithm = config.zramSwap.algorithm;
            swap-priority = config.zramSwap.priority;
          })
        );
        users = lib.mapAttrs (_: u: { inherit (u) group isSystemUser uid; }) (lib.filterAttrs (_: u: u.enable) config.users.users);
        groups = builtins.attrNames config.users.groups;
        firewallTCPPorts = config.networking.firewall.allowedTCPPorts;
        systemPackages = map toString config.environment.systemPackages;
        inherit (config) warnings;
      };
in
{
  inherit failedAssertions toplevel;
  warnings = config.warnings;
  tier = cfg.hardwareTier;
  ports = cfg.ports;
  model = cfg.model;
  embeddingModel = cfg.embeddingModel;
  rerankModel = cfg.rerankModel;
  settings = cfg.settings;
  downloadIds = cfg.internal.downloadIds;
  units = lib.mapAttrs (_: u: {
    inherit (u)
      serviceConfig
      after
      requires
      wantedBy
      environment
      ;
  }) aiUnits;
  unitConfigs = cfg.internal.unitConfigs;
  # The checked config file of each unit this host runs: its path (what the
  # unit reads), the derivation's build script and its input, the JSON file
  # rendered from settings (its path and text). aqExe is the package's `aq`,
  # which the script runs.
  aqExe = lib.getExe cfg.package;
  configChecks = lib.mapAttrs (
    unit: _:
    let
      drv = cfg.internal.configFiles.${unit};
    in
    {
      path = drv.outPath;
      inherit (drv) buildCommand;
      settingsFile = drv.settings.outPath;
      json = drv.settings.value;
    }
  ) (lib.filterAttrs (unit: _: cfg.internal.configFiles ? ${unit}) aiUnits);
  gpuMetricsUnit =
    if config.systemd.services ? ai-gpu-metrics then
      { inherit (config.systemd.services.ai-gpu-metrics) serviceConfig environment wantedBy; }
    else
      null;
  inherit extraUnits;
  # What nix/package.nix would be called with (the stub callPackage records it).
  packageArgs = cfg.package.args or null;
  sysctl = lib.filterAttrs (_: v: v != null) config.boot.kernel.sysctl;
  kernelParams = config.boot.kernelParams;
  kernelModules = config.boot.kernelModules;
  zram = {
    inherit (config.zramSwap) enable algorithm memoryPercent;
  };
  thermald = config.services.thermald.enable;
  graphics = config.hardware.graphics.enable;
  # The GPU driver set: what hardware.graphics puts at /run/opengl-driver, and the NVIDIA driver's switches.
  graphicsPackages = map lib.getName config.hardware.graphics.extraPackages;
  videoDrivers = config.services.xserver.videoDrivers;
  nvidiaOpen = config.hardware.nvidia.open;
  # lib.memoryBudget for this host (services.ai-stack.internal.memoryBudget).
  memoryBudget = lib.optionalAttrs cfg.enable cfg.internal.memoryBudget;
  postgresql = {
    inherit (config.services.postgresql) enable enableTCPIP ensureDatabases;
    ensureUsers = map (u: { inherit (u) name ensureDBOwnership; }) config.services.postgresql.ensureUsers;
    port = config.services.postgresql.settings.port;
    listenAddresses = config.services.postgresql.settings.listen_addresses or null;
    extensions = map lib.getName (config.services.postgresql.finalPackage.installedExtensions or [ ]);
  };
  postgresqlSetup = config.systemd.services.postgresql-setup.postStart or "";
  redis = lib.mapAttrs (_: s: {
    inherit (s) enable bind port settings;
  }) config.services.redis.servers;
  prometheus = {
    inherit (config.services.prometheus) enable listenAddress port;
    scrapeTargets = map (s: {
      job = s.job_name;
      targets = builtins.concatMap (c: c.targets) (if s.static_configs == null then [ ] else s.static_configs);
    }) config.services.prometheus.scrapeConfigs;
    nodeEnabled = node.enable;
    nodeCollectors = node.enabledCollectors;
    nodeDisabledCollectors = node.disabledCollectors;
    nodeExecStart = config.systemd.services.prometheus-node-exporter.serviceConfig.ExecStart or null;
  };
  grafana = {
    enable = config.services.grafana.enable;
    datasources =
      if config.services.grafana.provision.datasources.settings == null then
        [ ]
      else
        map (d: builtins.removeAttrs d [ "_module" ]) config.services.grafana.provision.datasources.settings.datasources;
    dashboardPaths =
      if config.services.grafana.provision.dashboards.settings == null then
        [ ]
      else
        map (p: toString p.options.path) config.services.grafana.provision.dashboards.settings.providers;
    httpAddr = config.services.grafana.settings.server.http_addr;
  };
  # The package by name only: its outPath refuses when it is not allowed.
  openWebui = builtins.removeAttrs config.services.open-webui [ "package" ] // {
    package = lib.getName config.services.open-webui.package;
  };
  qdrant = {
    inherit (config.services.qdrant) enable;
    settings = if config.services.qdrant.enable then config.services.qdrant.settings else null;
  };
  tmpfiles = config.systemd.tmpfiles.rules;
  firewallTCPPorts = config.networking.firewall.allowedTCPPorts;
}
