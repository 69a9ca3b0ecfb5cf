# Mirrors boot.kernelParams and boot.kernelModules from
# nixos/modules/system/boot/kernel.nix (NixOS/nixpkgs, release 25.11), with
# upstream's kernel parameter type (no unquoted spaces). Upstream's own list
# entries (loglevel=, the default modules) are not mirrored: lists merge, so
# they cannot clash with ours.
{ lib, ... }:
let
  inherit (lib) mkOption types;
in
{
  options.boot = {
    kernelParams = mkOption {
      type = types.listOf (
        types.strMatching ''([^"[:space:]]|"[^"]*")+''
        // {
          name = "kernelParam";
          description = "string, with spaces inside double quotes";
        }
      );
      default = [ ];
      description = "Parameters added to the kernel command line.";
    };
    kernelModules = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "The set of kernel modules to be loaded in the second stage of the boot process.";
    };
  };
}
