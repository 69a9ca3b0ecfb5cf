# Mirrors nixos/modules/services/hardware/thermald.nix (NixOS/nixpkgs,
# release 25.11): its options and its unit (which names the package, so an
# unavailable package refuses when the unit is rendered). Not mirrored: the
# D-Bus policy it installs.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.services.thermald;
in
{
  options.services.thermald = {
    enable = lib.mkEnableOption "thermald, the temperature management daemon";
    debug = mkOption {
      type = types.bool;
      default = false;
      description = "Whether to enable debug logging.";
    };
    ignoreCpuidCheck = mkOption {
      type = types.bool;
      default = false;
      description = "Whether to ignore the cpuid check to allow running on unsupported platforms";
    };
    configFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      description = "The thermald manual configuration file.";
    };
    adaptive = mkOption {
      type = types.bool;
      default = false;
      description = "Whether to enable adaptive mode, only working on kernel versions greater than 5.8.";
    };
    package = lib.mkPackageOption pkgs "thermald" { };
  };

  config = lib.mkIf cfg.enable {
    systemd.services.thermald = {
      description = "Thermal Daemon Service";
      documentation = [ "man:thermald(8)" ];
      wantedBy = [ "multi-user.target" ];
      serviceConfig = {
        PrivateNetwork = true;
        ExecStart = lib.concatStringsSep " " (
          [
            "${cfg.package}/sbin/thermald"
            "--no-daemon"
            "--dbus-enable"
          ]
          ++ lib.optional cfg.debug "--loglevel=debug"
          ++ lib.optional cfg.ignoreCpuidCheck "--ignore-cpuid-check"
          ++ lib.optional cfg.adaptive "--adaptive"
          ++ lib.optional (cfg.configFile != null) "--config-file ${cfg.configFile}"
        );
      };
    };
  };
}
