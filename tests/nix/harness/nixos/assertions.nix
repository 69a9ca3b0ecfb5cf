# Mirrors nixos/modules/misc/assertions.nix (NixOS/nixpkgs, release 25.11).
# The harness's `toplevel` fails on a false assertion and prints the warnings,
# as nixos/modules/system/activation/top-level.nix does.
{ lib, ... }:
{
  options = {
    assertions = lib.mkOption {
      type = lib.types.listOf lib.types.unspecified;
      internal = true;
      default = [ ];
      example = [
        {
          assertion = false;
          message = "you can't enable this for that reason";
        }
      ];
      description = "Conditions that must hold during system evaluation; the message of each false one is shown.";
    };

    warnings = lib.mkOption {
      internal = true;
      default = [ ];
      type = lib.types.listOf lib.types.str;
      example = [ "The `foo' service is deprecated and will go away soon!" ];
      description = "Warnings to print during system evaluation.";
    };
  };
}
