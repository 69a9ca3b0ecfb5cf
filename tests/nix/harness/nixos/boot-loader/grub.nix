# Mirrors boot.loader.grub.enable and .devices from
# nixos/modules/system/boot/loader/grub/grub.nix (NixOS/nixpkgs, release
# 25.11), with its "make the system bootable" assertion. Upstream's default is
# `!config.boot.isContainer`; there is no container here, so true.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.boot.loader.grub;
in
{
  options.boot.loader.grub = {
    enable = mkOption {
      default = true;
      type = types.bool;
      description = "Whether to enable the GNU GRUB boot loader.";
    };
    devices = mkOption {
      default = [ ];
      example = [ "/dev/disk/by-id/wwn-0x500001234567890a" ];
      type = types.listOf types.str;
      description = "The devices on which the boot loader, GRUB, will be installed.";
    };
    mirroredBoots = mkOption {
      default = [ ];
      type = types.listOf types.attrs;
      description = "Mirror the boot configuration to multiple partitions.";
    };
  };

  config.assertions = lib.optional cfg.enable {
    assertion = cfg.devices != [ ] || cfg.mirroredBoots != [ ];
    message = "You must set the option ‘boot.loader.grub.devices’ or 'boot.loader.grub.mirroredBoots' to make the system bootable.";
  };
}
