# Mirrors fileSystems from nixos/modules/tasks/filesystems.nix (NixOS/nixpkgs,
# release 25.11): a strict submodule per mount point with the options hosts
# use and their real types and defaults, plus the root file system assertion
# of nixos/modules/system/boot/stage-1.nix. Not mirrored: autoFormat,
# autoResize, encryption, the fstab and mount units.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
in
{
  options.fileSystems = mkOption {
    default = { };
    description = "The file systems to be mounted.";
    type = types.attrsOf (
      types.submodule (
        { name, ... }:
        {
          options = {
            mountPoint = mkOption {
              type = types.nonEmptyStr;
              default = name;
              description = "Location of the mounted file system.";
            };
            device = mkOption {
              type = types.nullOr types.nonEmptyStr;
              default = null;
              description = "Location of the device.";
            };
            label = mkOption {
              type = types.nullOr types.str;
              default = null;
              description = "Label of the device (if any).";
            };
            fsType = mkOption {
              type = types.nonEmptyStr;
              default = "auto";
              description = "Type of the file system.";
            };
            options = mkOption {
              type = types.nonEmptyListOf types.nonEmptyStr;
              default = [ "defaults" ];
              description = "Options used to mount the file system.";
            };
            depends = mkOption {
              type = types.listOf types.nonEmptyStr;
              default = [ ];
              description = "List of paths that should be mounted before this one.";
            };
            neededForBoot = mkOption {
              type = types.bool;
              default = false;
              description = "Whether the file system is mounted in the initial ramdisk.";
            };
            noCheck = mkOption {
              type = types.bool;
              default = false;
              description = "Disable running fsck on this filesystem.";
            };
          };
        }
      )
    );
  };

  config.assertions = [
    {
      assertion = lib.any (fs: fs.mountPoint == "/") (lib.attrValues config.fileSystems);
      message = "The ‘fileSystems’ option does not specify your root file system.";
    }
  ];
}
