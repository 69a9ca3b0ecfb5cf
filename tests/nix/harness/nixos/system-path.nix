# Mirrors environment.systemPackages from nixos/modules/config/system-path.nix
# (NixOS/nixpkgs, release 25.11); nixpkgs' service modules add their packages.
{ lib, ... }:
{
  options.environment.systemPackages = lib.mkOption {
    type = lib.types.listOf lib.types.package;
    default = [ ];
    description = "The set of packages that appear in /run/current-system/sw.";
  };
}
