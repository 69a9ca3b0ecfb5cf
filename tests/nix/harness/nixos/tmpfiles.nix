# Mirrors nixos/modules/system/boot/systemd/tmpfiles.nix (NixOS/nixpkgs,
# release 25.11): systemd.tmpfiles.rules and systemd.tmpfiles.settings with
# their types and defaults. Not mirrored: the generated tmpfiles.d tree.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  dash = mkOption {
    type = types.str;
    default = "-";
  };
in
{
  options.systemd.tmpfiles = {
    rules = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "d /tmp 1777 root root 10d" ];
      description = "Rules for creation, deletion and cleaning of volatile and temporary files automatically.";
    };

    settings = mkOption {
      default = { };
      description = "Declare systemd-tmpfiles rules to create, delete, and clean up volatile and temporary files and directories.";
      type = types.attrsOf (
        types.attrsOf (
          types.attrsOf (
            types.submodule (
              { name, ... }:
              {
                options = {
                  type = mkOption {
                    type = types.str;
                    default = name;
                  };
                  mode = dash;
                  user = dash;
                  group = dash;
                  age = dash;
                  argument = mkOption {
                    type = types.str;
                    default = "";
                  };
                };
              }
            )
          )
        )
      );
    };
  };
}
