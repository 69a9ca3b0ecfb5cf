# Mirrors boot.loader.systemd-boot.enable from
# nixos/modules/system/boot/loader/systemd-boot/systemd-boot.nix
# (NixOS/nixpkgs, release 25.11).
{ lib, ... }:
{
  options.boot.loader.systemd-boot.enable = lib.mkOption {
    default = false;
    type = lib.types.bool;
    description = "Whether to enable the systemd-boot (formerly gummiboot) EFI boot manager.";
  };
}
