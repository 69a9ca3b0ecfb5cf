# What every example host shares: the ai-stack module, enabled with the host's
# facts, and a minimal boot/file-system layout taken from the same facts.
#
#   imports = [ (import ../common.nix (import ./facts.nix)) ];
#
# facts.nix (data only) has the services.ai-stack.facts keys (systemRamGb,
# hasDiscreteGpu, gpuVendor, cpuVendor, cpuArchitecture, cpuCores) plus
# hostname, bootLoader ("systemd-boot" | "extlinux") and disks.
facts:
{ lib, ... }:
let
  arch = facts.cpuArchitecture or "x86_64";
  bootLoader = facts.bootLoader or "systemd-boot";
  disks = facts.disks or { };
  aiFacts = builtins.removeAttrs facts [
    "hostname"
    "bootLoader"
    "disks"
  ];
in
{
  imports = [ ../nix/modules ];

  networking.hostName = facts.hostname;
  nixpkgs.hostPlatform = lib.mkDefault "${arch}-linux";
  system.stateVersion = "25.11";

  services.ai-stack = {
    enable = true;
    facts = aiFacts;
  };

  fileSystems."/" = {
    device = disks.root or "/dev/disk/by-label/nixos";
    fsType = "ext4";
  };
  fileSystems."/boot" = lib.mkIf (bootLoader == "systemd-boot") {
    device = disks.boot or "/dev/disk/by-label/boot";
    fsType = "vfat";
  };

  boot.loader.grub.enable = false;
  boot.loader.systemd-boot.enable = bootLoader == "systemd-boot";
  boot.loader.generic-extlinux-compatible.enable = bootLoader == "extlinux";
}
