# Mirrors system.stateVersion from nixos/modules/misc/version.nix
# (NixOS/nixpkgs, release 25.11). Upstream defaults it to the release with a
# warning; the postgresql mirror picks its package from it.
{ lib, ... }:
{
  options.system.stateVersion = lib.mkOption {
    type = lib.types.str;
    default = "25.11";
    description = "The NixOS release with which your system is to be compatible.";
  };
}
