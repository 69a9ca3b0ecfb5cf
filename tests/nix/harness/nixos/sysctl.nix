# Mirrors nixos/modules/config/sysctl.nix (NixOS/nixpkgs, release 25.11):
# boot.kernel.sysctl with upstream's "sysctl option value" type (bool, string,
# int or null, merged with mergeOneOption: two definitions of one key at the
# same priority fail, even when equal) and the two "highest value wins" keys,
# and upstream's NixOS-wide mkDefault values. The one that matters here:
# "vm.max_map_count" = mkDefault 1048576, so a second mkDefault of that key
# fails to evaluate. Read from the stored nixpkgs text (the nixfmt-formatted
# version with the inotify and fs.protected_* defaults); the exact 25.11
# commit could not be pinned. Not mirrored: /etc/sysctl.d and its unit.
{ lib, ... }:
let
  sysctlOption = lib.mkOptionType {
    name = "sysctl option value";
    check =
      val:
      let
        checkType = x: lib.isBool x || lib.isString x || lib.isInt x || x == null;
      in
      checkType val || (val._type or "" == "override" && checkType val.content);
    merge = loc: defs: lib.mergeOneOption loc defs;
  };

  highestValueType = lib.types.ints.unsigned // {
    merge = loc: defs: lib.foldl (a: b: if b.value == null then null else lib.max a b.value) 0 defs;
  };
in
{
  options.boot.kernel.sysctl = lib.mkOption {
    type = lib.types.submodule {
      freeformType = lib.types.attrsOf sysctlOption;
      options = {
        "net.core.rmem_max" = lib.mkOption {
          type = lib.types.nullOr highestValueType;
          default = null;
          description = "The maximum receive socket buffer size in bytes. In case of conflicting values, the highest will be used.";
        };
        "net.core.wmem_max" = lib.mkOption {
          type = lib.types.nullOr highestValueType;
          default = null;
          description = "The maximum send socket buffer size in bytes. In case of conflicting values, the highest will be used.";
        };
      };
    };
    default = { };
    description = "Runtime parameters of the Linux kernel, as set by sysctl(8).";
  };

  config.boot.kernel.sysctl = {
    "kernel.kptr_restrict" = lib.mkDefault 1;
    # Upstream: "Improve compatibility with applications that allocate a lot of memory, like modern games".
    "vm.max_map_count" = lib.mkDefault 1048576;
    "fs.inotify.max_user_instances" = lib.mkDefault 524288;
    "fs.inotify.max_user_watches" = lib.mkDefault 524288;
    "fs.protected_fifos" = lib.mkDefault 2;
    "fs.protected_hardlinks" = lib.mkDefault 1;
    "fs.protected_regular" = lib.mkDefault 2;
    "fs.protected_symlinks" = lib.mkDefault 1;
  };
}
