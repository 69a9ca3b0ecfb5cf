# Mirrors nixos/modules/services/monitoring/prometheus/default.nix
# (NixOS/nixpkgs, release 25.11; read from the stored text that already has
# `port` apart from `listenAddress` and the lib.-prefixed style). The options
# of services.prometheus are upstream's, with their types and defaults. The
# scrape_config, static_config and globalConfig submodules are strict, as
# upstream's are: they declare the keys nix/modules sets (job_name,
# metrics_path, static_configs, scrape_interval) plus the common scrape keys,
# all typed as upstream (nullOr ..., default null); upstream declares about
# forty more (the *_sd_configs, TLS, auth, relabelling) that are left out, so
# a config that uses one of those fails here and not on NixOS. The config
# mirrors upstream's listenAddress assertion, its user and its unit, whose
# ExecStart names the generated prometheus.yml (rule files checked with
# promtool from `package.cli`).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.services.prometheus;
  yaml = pkgs.formats.yaml { };

  mkOpt =
    type: description:
    mkOption {
      type = types.nullOr type;
      default = null;
      inherit description;
    };

  filterValidPrometheus = filterAttrsListRecursive (n: v: !(n == "_module" || v == null));
  filterAttrsListRecursive =
    pred: x:
    if lib.isAttrs x then
      lib.listToAttrs (
        lib.concatMap (
          name:
          let
            v = x.${name};
          in
          if pred name v then [ (lib.nameValuePair name (filterAttrsListRecursive pred v)) ] else [ ]
        ) (lib.attrNames x)
      )
    else if lib.isList x then
      map (filterAttrsListRecursive pred) x
    else
      x;

  promTypes.globalConfig = types.submodule {
    options = {
      scrape_interval = mkOpt types.str "How frequently to scrape targets by default.";
      scrape_timeout = mkOpt types.str "How long until a scrape request times out.";
      evaluation_interval = mkOpt types.str "How frequently to evaluate rules by default.";
      external_labels = mkOpt (types.attrsOf types.str) "The labels to add to any time series or alerts when communicating with external systems.";
      query_log_file = mkOpt types.str "Path to the file prometheus should write its query log to.";
    };
  };

  promTypes.static_config = types.submodule {
    options = {
      targets = mkOption {
        type = types.listOf types.str;
        description = "The targets specified by the target group.";
      };
      labels = mkOption {
        type = types.attrsOf types.str;
        default = { };
        description = "Labels assigned to all metrics scraped from the targets.";
      };
    };
  };

  promTypes.scrape_config = types.submodule {
    options = {
      job_name = mkOption {
        type = types.str;
        description = "The job name assigned to scraped metrics by default.";
      };
      scrape_interval = mkOpt types.str "How frequently to scrape targets from this job.";
      scrape_timeout = mkOpt types.str "Per-target timeout when scraping this job.";
      metrics_path = mkOpt types.str "The HTTP resource path on which to fetch metrics from targets.";
      honor_labels = mkOpt types.bool "Controls how Prometheus handles conflicts between scraped and server-side labels.";
      honor_timestamps = mkOpt types.bool "Whether Prometheus respects the timestamps present in scraped data.";
      scheme = mkOpt (types.enum [
        "http"
        "https"
      ]) "The URL scheme with which to fetch metrics from targets.";
      params = mkOpt (types.attrsOf (types.listOf types.str)) "Optional HTTP URL parameters.";
      static_configs = mkOpt (types.listOf promTypes.static_config) "List of labeled statically configured targets for this job.";
    };
  };

  promtoolCheck =
    what: name: file:
    if cfg.checkConfig then
      pkgs.runCommand "${name}-${lib.replaceStrings [ " " ] [ "" ] what}-checked" { nativeBuildInputs = [ cfg.package.cli ]; } ''
        ln -s ${file} $out
        promtool ${what} $out
      ''
    else
      file;

  promConfig = {
    global = filterValidPrometheus cfg.globalConfig;
    scrape_configs = filterValidPrometheus cfg.scrapeConfigs;
    rule_files = map (promtoolCheck "check rules" "rules") (
      cfg.ruleFiles ++ [ (pkgs.writeText "prometheus.rules" (lib.concatStringsSep "\n" cfg.rules)) ]
    );
  };
  prometheusYml = promtoolCheck "check config" "prometheus.yml" (yaml.generate "prometheus.yml" promConfig);
in
{
  options.services.prometheus = {
    enable = lib.mkEnableOption "Prometheus monitoring daemon";

    package = lib.mkPackageOption pkgs "prometheus" { };

    port = mkOption {
      type = types.port;
      default = 9090;
      description = "Port to listen on.";
    };

    listenAddress = mkOption {
      type = types.str;
      default = "0.0.0.0";
      description = "Address to listen on for the web interface, API, and telemetry.";
    };

    stateDir = mkOption {
      type = types.str;
      default = "prometheus2";
      description = "Directory below `/var/lib` to store Prometheus metrics data.";
    };

    extraFlags = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Extra commandline options when launching Prometheus.";
    };

    globalConfig = mkOption {
      type = promTypes.globalConfig;
      default = { };
      description = "Parameters that are valid in all configuration contexts.";
    };

    rules = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Alerting and/or Recording rules to evaluate at runtime.";
    };

    ruleFiles = mkOption {
      type = types.listOf types.path;
      default = [ ];
      description = "Any additional rules files to include in this configuration.";
    };

    scrapeConfigs = mkOption {
      type = types.listOf promTypes.scrape_config;
      default = [ ];
      description = "A list of scrape configurations.";
    };

    checkConfig = mkOption {
      type = types.bool;
      default = true;
      description = "Check configuration with `promtool check`.";
    };

    retentionTime = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "15d";
      description = "How long to retain samples in storage.";
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      (
        let
          legacy = builtins.match "(.*\\..*|.*]):([[:digit:]]+)" cfg.listenAddress;
        in
        {
          assertion = legacy == null;
          message = ''
            Do not specify the port for Prometheus to listen on in the
            listenAddress option; use the port option instead:
              services.prometheus.listenAddress = ${builtins.elemAt legacy 0};
              services.prometheus.port = ${builtins.elemAt legacy 1};
          '';
        }
      )
    ];

    users.groups.prometheus.gid = 255; # config.ids.gids.prometheus
    users.users.prometheus = {
      description = "Prometheus daemon user";
      uid = 255; # config.ids.uids.prometheus
      group = "prometheus";
    };

    systemd.services.prometheus = {
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" ];
      serviceConfig = {
        ExecStart = lib.concatStringsSep " " (
          [
            "${cfg.package}/bin/prometheus"
            "--config.file=${prometheusYml}"
            "--web.listen-address=${cfg.listenAddress}:${toString cfg.port}"
            "--storage.tsdb.path=/var/lib/${cfg.stateDir}/data/"
          ]
          ++ lib.optional (cfg.retentionTime != null) "--storage.tsdb.retention.time=${cfg.retentionTime}"
          ++ cfg.extraFlags
        );
        User = "prometheus";
        Restart = "always";
        RuntimeDirectory = "prometheus";
        RuntimeDirectoryMode = "0700";
        WorkingDirectory = "/var/lib/${cfg.stateDir}";
        StateDirectory = cfg.stateDir;
        StateDirectoryMode = "0700";
        DevicePolicy = "strict";
        MemoryDenyWriteExecute = true;
        NoNewPrivileges = true;
        PrivateDevices = true;
        ProtectSystem = "full";
        SystemCallFilter = [
          "@system-service"
          "~@privileged"
        ];
      };
    };
  };
}
