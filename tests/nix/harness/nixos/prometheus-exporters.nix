# Mirrors nixos/modules/services/monitoring/prometheus/exporters.nix and
# .../exporters/node.nix (NixOS/nixpkgs, release 25.11). Only the node
# exporter is declared (upstream declares one submodule per exporter; the
# others are left out, so enabling any other exporter fails here). Its options
# are upstream's mkExporterOpts (enable, port 9100, listenAddress "0.0.0.0",
# extraFlags, openFirewall, firewallFilter/Rules, user/group "node-exporter")
# plus node.nix's enabledCollectors / disabledCollectors. The config mirrors
# the hardened unit every exporter gets, node.nix's ExecStart (so
# `--collector.X` / `--no-collector.X` reach the command line), its static
# node-exporter user (DynamicUser = false) and the firewall assertion.
# node_exporter enables some collectors by default (rapl among them);
# disabledCollectors is how a host turns one off.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.services.prometheus.exporters;
  node = cfg.node;

  mkExporterOpts =
    { name, port }:
    {
      enable = lib.mkEnableOption "the prometheus ${name} exporter";
      port = mkOption {
        type = types.port;
        default = port;
        description = "Port to listen on.";
      };
      listenAddress = mkOption {
        type = types.str;
        default = "0.0.0.0";
        description = "Address to listen on.";
      };
      extraFlags = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "Extra commandline options to pass to the ${name} exporter.";
      };
      openFirewall = mkOption {
        type = types.bool;
        default = false;
        description = "Open port in firewall for incoming connections.";
      };
      firewallFilter = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Specify a filter for iptables to use when openFirewall is true.";
      };
      firewallRules = mkOption {
        type = types.nullOr types.lines;
        default = null;
        description = "Specify rules for nftables to add to the input chain when openFirewall is true.";
      };
      user = mkOption {
        type = types.str;
        default = "${name}-exporter";
        description = "User name under which the ${name} exporter shall be run.";
      };
      group = mkOption {
        type = types.str;
        default = "${name}-exporter";
        description = "Group under which the ${name} exporter shall be run.";
      };
    };

  collectorIsEnabled = c: lib.elem c node.enabledCollectors;
  collectorIsDisabled = c: lib.elem c node.disabledCollectors;
in
{
  options.services.prometheus.exporters = mkOption {
    default = { };
    description = "Prometheus exporter configuration";
    type = types.submodule {
      imports = [ ./assertions.nix ];
      options.node = mkOption {
        default = { };
        internal = true;
        type = types.submodule {
          options = mkExporterOpts {
            name = "node";
            port = 9100;
          }
          // {
            enabledCollectors = mkOption {
              type = types.listOf types.str;
              default = [ ];
              example = [ "systemd" ];
              description = "Collectors to enable. The collectors listed here are enabled in addition to the default ones.";
            };
            disabledCollectors = mkOption {
              type = types.listOf types.str;
              default = [ ];
              example = [ "timex" ];
              description = "Collectors to disable which are enabled by default.";
            };
          };
        };
      };
    };
  };

  config = lib.mkMerge [
    {
      assertions = [
        {
          assertion = node.firewallFilter != null -> node.openFirewall;
          message = ''
            The `firewallFilter'-option of exporter node doesn't have any effect unless
            `openFirewall' is set to `true'!
          '';
        }
      ]
      ++ cfg.assertions;
      warnings = cfg.warnings;
    }
    (lib.mkIf node.enable {
      networking.firewall.allowedTCPPorts = lib.mkIf node.openFirewall [ node.port ];

      systemd.services.prometheus-node-exporter = {
        after = [ "network.target" ];
        wantedBy = [ "multi-user.target" ];
        serviceConfig = {
          CapabilityBoundingSet = lib.mkDefault [ "" ];
          DeviceAllow = [ "" ];
          DynamicUser = false;
          Group = node.group;
          LockPersonality = true;
          MemoryDenyWriteExecute = true;
          NoNewPrivileges = true;
          PrivateDevices = lib.mkDefault true;
          PrivateTmp = lib.mkDefault true;
          ProtectClock = collectorIsDisabled "timex";
          ProtectControlGroups = true;
          ProtectHome = true;
          ProtectHostname = true;
          ProtectKernelLogs = true;
          ProtectKernelModules = true;
          ProtectKernelTunables = true;
          ProtectSystem = lib.mkDefault "strict";
          RemoveIPC = true;
          Restart = lib.mkDefault "always";
          RestrictAddressFamilies = [
            "AF_INET"
            "AF_INET6"
          ]
          ++ lib.optionals (collectorIsEnabled "logind" || collectorIsEnabled "systemd") [ "AF_UNIX" ]
          ++ lib.optionals (collectorIsEnabled "network_route" || collectorIsEnabled "wifi" || !collectorIsDisabled "netdev") [
            "AF_NETLINK"
          ];
          RestrictNamespaces = true;
          RestrictRealtime = true;
          RestrictSUIDSGID = true;
          RuntimeDirectory = "prometheus-node-exporter";
          SystemCallArchitectures = "native";
          UMask = "0077";
          User = lib.mkDefault node.user;
          WorkingDirectory = lib.mkDefault "/tmp";
          ExecStart = lib.concatStringsSep " " (
            [ "${pkgs.prometheus-node-exporter}/bin/node_exporter" ]
            ++ map (x: "--collector." + x) node.enabledCollectors
            ++ map (x: "--no-collector." + x) node.disabledCollectors
            ++ [ "--web.listen-address ${node.listenAddress}:${toString node.port}" ]
            ++ node.extraFlags
          );
        };
      };

      users.groups = lib.mkIf (node.group == "node-exporter") { node-exporter = { }; };
      users.users.node-exporter = lib.mkIf (node.user == "node-exporter") {
        inherit (node) group;
        description = "Prometheus node exporter service user";
        isSystemUser = true;
      };
    })
  ];
}
