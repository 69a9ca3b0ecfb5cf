# Evaluate nix/modules (with stub-options.nix) for one host configuration and
# return what the tests check. Used by tests/nix/*.test.ts:
#   nix-instantiate --eval --strict --json -E \
#     'import ./tests/nix/harness/eval-host.nix { nixpkgsLib = /path/to/lib; modules = [ { ... } ]; }'
{
  nixpkgsLib,
  modules,
}:
let
  lib = import nixpkgsLib;
  eval = lib.evalModules {
    modules = [
      ./stub-options.nix
      ../../../nix/modules
    ] ++ modules;
  };
  config = eval.config;
  cfg = config.services.ai-stack;
  # The stack's own units (lib.unitNames) that this host runs.
  aiUnits = lib.filterAttrs (name: _: builtins.elem name (import ../../../lib).unitNames) config.systemd.services;
  extraUnits = builtins.attrNames (lib.filterAttrs (name: _: lib.hasPrefix "ai-stack-" name) config.systemd.services);
in
{
  failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
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
  gpuMetricsUnit =
    if config.systemd.services ? ai-gpu-metrics then
      { inherit (config.systemd.services.ai-gpu-metrics) serviceConfig environment wantedBy; }
    else
      null;
  inherit extraUnits;
  # What nix/package.nix would be called with (the stub callPackage records it).
  packageArgs = cfg.package.passthru.args or null;
  sysctl = config.boot.kernel.sysctl;
  kernelParams = config.boot.kernelParams;
  kernelModules = config.boot.kernelModules;
  zram = config.zramSwap;
  thermald = config.services.thermald.enable or false;
  postgresql = {
    inherit (config.services.postgresql) ensureDatabases ensureUsers;
    enable = config.services.postgresql.enable or false;
    enableTCPIP = config.services.postgresql.enableTCPIP or null;
    port = config.services.postgresql.settings.port or null;
  };
  postgresqlSetup = config.systemd.services.postgresql-setup.postStart or "";
  redis = config.services.redis.servers or { };
  prometheus = {
    enable = config.services.prometheus.enable or false;
    listenAddress = config.services.prometheus.listenAddress or null;
    scrapeTargets = map (s: {
      job = s.job_name;
      targets = builtins.concatMap (c: c.targets) s.static_configs;
    }) (config.services.prometheus.scrapeConfigs or [ ]);
    nodeCollectors = config.services.prometheus.exporters.node.enabledCollectors or [ ];
  };
  grafana = {
    enable = config.services.grafana.enable or false;
    datasources = config.services.grafana.provision.datasources.settings.datasources or [ ];
    dashboardPaths = map (p: toString p.options.path) (config.services.grafana.provision.dashboards.settings.providers or [ ]);
    httpAddr = config.services.grafana.settings.server.http_addr or null;
  };
  openWebui = config.services.open-webui;
  qdrant = config.services.qdrant;
  tmpfiles = config.systemd.tmpfiles.rules;
}
