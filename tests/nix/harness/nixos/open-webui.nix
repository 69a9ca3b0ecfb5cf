# Mirrors nixos/modules/services/misc/open-webui.nix (NixOS/nixpkgs, release
# 25.11; read from the stored text, which has no environmentFile option): its
# options with their types and defaults (note that `environment` defaults to
# the three telemetry switches, and a definition replaces that default), the
# unit, whose ExecStart names the package (nixpkgs' open-webui is unfree, so
# rendering the unit refuses unless nixpkgs.config allows it), and the
# firewall port when openFirewall is set.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) types;
  cfg = config.services.open-webui;
in
{
  options.services.open-webui = {
    enable = lib.mkEnableOption "Open-WebUI server";
    package = lib.mkPackageOption pkgs "open-webui" { };

    stateDir = lib.mkOption {
      type = types.path;
      default = "/var/lib/open-webui";
      example = "/home/foo";
      description = "State directory of Open-WebUI.";
    };

    host = lib.mkOption {
      type = types.str;
      default = "127.0.0.1";
      example = "0.0.0.0";
      description = "The host address which the Open-WebUI server HTTP interface listens to.";
    };

    port = lib.mkOption {
      type = types.port;
      default = 8080;
      example = 11111;
      description = "Which port the Open-WebUI server listens to.";
    };

    environment = lib.mkOption {
      type = types.attrsOf types.str;
      default = {
        SCARF_NO_ANALYTICS = "True";
        DO_NOT_TRACK = "True";
        ANONYMIZED_TELEMETRY = "False";
      };
      description = "Extra environment variables for Open-WebUI";
    };

    openFirewall = lib.mkOption {
      type = types.bool;
      default = false;
      description = "Whether to open the firewall for Open-WebUI.";
    };
  };

  config = lib.mkIf cfg.enable {
    systemd.services.open-webui = {
      description = "User-friendly WebUI for LLMs";
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" ];

      environment = {
        STATIC_DIR = ".";
        DATA_DIR = ".";
        HF_HOME = ".";
        SENTENCE_TRANSFORMERS_HOME = ".";
      }
      // cfg.environment;

      serviceConfig = {
        ExecStart = "${lib.getExe cfg.package} serve --host ${cfg.host} --port ${toString cfg.port}";
        WorkingDirectory = cfg.stateDir;
        StateDirectory = "open-webui";
        RuntimeDirectory = "open-webui";
        RuntimeDirectoryMode = "0755";
        PrivateTmp = true;
        DynamicUser = true;
        DevicePolicy = "closed";
        LockPersonality = true;
        MemoryDenyWriteExecute = false;
        PrivateUsers = true;
        ProtectHome = true;
        ProtectHostname = true;
        ProtectKernelLogs = true;
        ProtectKernelModules = true;
        ProtectKernelTunables = true;
        ProtectControlGroups = true;
        ProcSubset = "all";
        RestrictNamespaces = true;
        RestrictRealtime = true;
        SystemCallArchitectures = "native";
        UMask = "0077";
      };
    };

    networking.firewall = lib.mkIf cfg.openFirewall { allowedTCPPorts = [ cfg.port ]; };
  };
}
