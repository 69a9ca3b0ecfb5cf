# Mirrors nixos/modules/system/boot/systemd.nix (NixOS/nixpkgs, release 25.11):
# systemd.services, systemd.targets and systemd.timers, typed as upstream's
# systemdUtils.types.services / targets / timers (the unit options of
# lib/systemd-unit-options.nix plus the unitConfig, environment.PATH and
# default-path modules of lib/systemd-lib.nix). Units from nixpkgs' own
# modules that nix/modules touches are defined in the mirror of the module
# that owns them (postgresql.nix, grafana.nix, ...). Not mirrored: sockets,
# paths, slices, mounts, user units, the generated /etc/systemd tree.
{ lib, pkgs, ... }:
let
  inherit (lib) mkOption types;
  systemdLib = import ./lib/systemd-lib.nix { inherit lib pkgs; };
  unitOptions = import ./lib/systemd-unit-options.nix { inherit lib systemdLib; };
in
{
  options.systemd = {
    services = mkOption {
      default = { };
      type = types.attrsOf (
        types.submodule [
          unitOptions.stage2ServiceOptions
          systemdLib.unitConfig
          systemdLib.stage2ServiceConfig
        ]
      );
      description = "Definition of systemd service units.";
    };

    targets = mkOption {
      default = { };
      type = types.attrsOf (
        types.submodule [
          unitOptions.stage2CommonUnitOptions
          systemdLib.unitConfig
          systemdLib.targetConfig
        ]
      );
      description = "Definition of systemd target units.";
    };

    timers = mkOption {
      default = { };
      type = types.attrsOf (
        types.submodule [
          unitOptions.stage2TimerOptions
          systemdLib.unitConfig
          systemdLib.timerConfig
        ]
      );
      description = "Definition of systemd timer units.";
    };
  };
}
