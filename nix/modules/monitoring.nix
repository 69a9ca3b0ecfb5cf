# Prometheus (scraping every service's /metrics and node-exporter) and Grafana
# with a provisioned Prometheus datasource, the dashboards in
# nix/monitoring/dashboards/ and the alert rules in nix/monitoring/alerts.yml.
# All on 127.0.0.1; off on nano (tiers.json `monitoring`).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.ai-stack;
  aiLib = import ../../lib;
  loopback = "127.0.0.1";
  textfileDir = "/var/lib/prometheus-node-exporter-text";
  # `aq gpu-metrics` feeds the dashboard's GPU panels and the GPU temperature
  # alert through node-exporter's textfile collector.
  gpuMetrics = builtins.elem cfg.facts.gpuVendor [
    "amd"
    "nvidia"
  ];
  target = port: "${loopback}:${toString port}";

  # One job per unit, named after it, so alert rules can say `job="ai-inference"`.
  serviceJobs =
    [
      {
        job = "ai-inference";
        port = cfg.ports.inferenceChat;
      }
      {
        job = "ai-aidb";
        port = cfg.ports.aidb;
      }
      {
        job = "ai-coordinator";
        port = cfg.ports.coordinator;
      }
    ]
    ++ lib.optional (cfg.internal.modelPaths.embedding != null || cfg.internal.modelPaths.rerank != null) {
      job = "ai-embeddings";
      port = cfg.ports.inferenceEmbed;
    };

  # Checked at build time: a broken rule file fails the build, not the deploy.
  alertRules =
    pkgs.runCommand "ai-stack-alerts.yml"
      {
        nativeBuildInputs = [ (pkgs.prometheus.cli or pkgs.prometheus) ];
        rules = ../monitoring/alerts.yml;
      }
      ''
        promtool check rules "$rules"
        cp "$rules" "$out"
      '';

  dashboards = ../monitoring/dashboards;

  secretKeyFile =
    if cfg.monitoring.grafanaSecretKeyFile != null then
      cfg.monitoring.grafanaSecretKeyFile
    else
      "/var/lib/ai-stack-grafana/secret-key";
in
{
  config = lib.mkIf (cfg.enable && cfg.monitoring.enable) {
    services.prometheus = {
      enable = true;
      listenAddress = loopback;
      port = cfg.ports.prometheus;
      globalConfig.scrape_interval = "15s";
      ruleFiles = [ alertRules ];
      scrapeConfigs =
        map (j: {
          job_name = j.job;
          metrics_path = "/metrics";
          static_configs = [ { targets = [ (target j.port) ]; } ];
        }) serviceJobs
        ++ [
          {
            job_name = "node";
            static_configs = [ { targets = [ (target cfg.ports.nodeExporter) ]; } ];
          }
          {
            job_name = "prometheus";
            static_configs = [ { targets = [ (target cfg.ports.prometheus) ]; } ];
          }
        ];

      exporters.node = {
        enable = true;
        listenAddress = loopback;
        port = cfg.ports.nodeExporter;
        enabledCollectors = [
          "hwmon"
          "nvme"
          "thermal_zone"
          "textfile"
        ];
        # node_exporter enables its rapl collector by default, but energy_uj
        # is root-only since Linux 5.10 (CVE-2020-8694) and node-exporter runs
        # unprivileged: the collector would only log permission errors.
        disabledCollectors = [ "rapl" ];
        extraFlags = [ "--collector.textfile.directory=${textfileDir}" ];
      };
    };

    # Writable by the gpu-metrics unit's group only; node-exporter reads it.
    systemd.tmpfiles.rules = [
      (if gpuMetrics then "d ${textfileDir} 0775 root ai-gpu-metrics - -" else "d ${textfileDir} 0755 root root - -")
    ];

    users.users.ai-gpu-metrics = lib.mkIf gpuMetrics {
      isSystemUser = true;
      group = "ai-gpu-metrics";
      description = "AI stack GPU metrics (node-exporter textfile)";
    };
    users.groups.ai-gpu-metrics = lib.mkIf gpuMetrics { };

    systemd.services.ai-gpu-metrics = lib.mkIf gpuMetrics {
      description = "AI stack: GPU metrics for node-exporter's textfile collector";
      wantedBy = [ "multi-user.target" ];
      after = [ "systemd-tmpfiles-setup.service" ];
      # nvidia-smi, where the NVIDIA driver put it; without it the AMD sysfs is read alone.
      environment.PATH = lib.mkForce "/run/current-system/sw/bin";
      serviceConfig =
        aiLib.hardenedService {
          memoryMax = "128M";
          # No network at all: it reads sysfs (and runs nvidia-smi) and writes one file.
          ipAddressAllow = [ ];
          # Relaxation: nvidia-smi talks to the driver through its device nodes.
          gpuDevices = lib.optionals (cfg.facts.gpuVendor == "nvidia") [
            "/dev/nvidiactl"
            "/dev/nvidia0"
          ];
          staticUser = "ai-gpu-metrics";
        }
        // {
          ExecStart = "${lib.getExe cfg.package} gpu-metrics --textfile-dir ${textfileDir} --interval 15";
          ReadWritePaths = [ textfileDir ];
          # Relaxation: node-exporter runs as another user and must read the file.
          UMask = "0022";
          Restart = "on-failure";
          RestartSec = "10s";
        };
    };

    services.grafana = {
      enable = true;
      settings = {
        server = {
          http_addr = loopback;
          http_port = cfg.ports.grafana;
        };
        security.secret_key = "$__file{${secretKeyFile}}";
        analytics.reporting_enabled = false;
      };
      provision = {
        enable = true;
        datasources.settings = {
          apiVersion = 1;
          datasources = [
            {
              name = "Prometheus";
              uid = "prometheus";
              type = "prometheus";
              access = "proxy";
              url = "http://${target cfg.ports.prometheus}";
              isDefault = true;
            }
          ];
        };
        dashboards.settings = {
          apiVersion = 1;
          providers = [
            {
              name = "ai-stack";
              type = "file";
              options.path = dashboards;
            }
          ];
        };
      };
    };

    # Grafana needs a secret key; make one on first start unless one is given.
    systemd.services.ai-stack-grafana-secret = lib.mkIf (cfg.monitoring.grafanaSecretKeyFile == null) {
      description = "AI stack: Grafana secret key";
      wantedBy = [ "grafana.service" ];
      before = [ "grafana.service" ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        User = "grafana";
        StateDirectory = "ai-stack-grafana";
        StateDirectoryMode = "0700";
        UMask = "0077";
      };
      script = ''
        if [ ! -s ${secretKeyFile} ]; then
          head -c 32 /dev/urandom | ${pkgs.coreutils}/bin/base64 > ${secretKeyFile}
        fi
      '';
    };
  };
}
