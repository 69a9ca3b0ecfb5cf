# Mirrors boot.loader.generic-extlinux-compatible.enable from
# nixos/modules/system/boot/loader/generic-extlinux-compatible/default.nix
# (NixOS/nixpkgs, release 25.11).
{ lib, ... }:
{
  options.boot.loader.generic-extlinux-compatible.enable = lib.mkOption {
    default = false;
    type = lib.types.bool;
    description = "Whether to generate an extlinux-compatible configuration file under /boot/extlinux.conf.";
  };
}
