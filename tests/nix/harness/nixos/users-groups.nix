# Mirrors nixos/modules/config/users-groups.nix (NixOS/nixpkgs, release
# 25.11): users.users and users.groups as strict submodules with upstream's
# option names, types and defaults for what modules commonly set, and
# upstream's per-user assertions (exactly one of isSystemUser/isNormalUser,
# where a uid below 1000 counts as a system user; a group must be set). Not
# mirrored: passwords and their checks, sub-uid ranges, mutableUsers, the
# activation script.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.users;

  userOpts =
    { name, config, ... }:
    {
      options = {
        enable = mkOption {
          type = types.bool;
          default = true;
          description = "If set to false, the user account will not be created.";
        };
        name = mkOption {
          type = types.passwdEntry types.str;
          default = name;
          description = "The name of the user account.";
        };
        description = mkOption {
          type = types.passwdEntry types.str;
          default = "";
          example = "Alice Q. User";
          description = "A short description of the user account, typically the user's full name.";
        };
        uid = mkOption {
          type = with types; nullOr int;
          default = null;
          description = "The account UID. If the UID is null, a free UID is picked on activation.";
        };
        isSystemUser = mkOption {
          type = types.bool;
          default = false;
          description = "Indicates if the user is a system user or not.";
        };
        isNormalUser = mkOption {
          type = types.bool;
          default = false;
          description = "Indicates whether this is an account for a “real” user.";
        };
        group = mkOption {
          type = types.str;
          apply = x: assert (lib.stringLength x < 32 || abort "Group name '${x}' is longer than 31 characters which is not allowed!"); x;
          default = "";
          description = "The user's primary group.";
        };
        extraGroups = mkOption {
          type = types.listOf types.str;
          default = [ ];
          description = "The user's auxiliary groups.";
        };
        home = mkOption {
          type = types.passwdEntry types.path;
          default = "/var/empty";
          description = "The user's home directory.";
        };
        homeMode = mkOption {
          type = types.strMatching "[0-7]{1,5}";
          default = "700";
          description = "The user's home directory mode in numeric format.";
        };
        createHome = mkOption {
          type = types.bool;
          default = false;
          description = "Whether to create the home directory and ensure ownership as well as permissions to match the user.";
        };
        useDefaultShell = mkOption {
          type = types.bool;
          default = false;
          description = "If true, the user's shell will be set to users.defaultUserShell.";
        };
        linger = mkOption {
          type = types.nullOr types.bool;
          default = null;
          description = "Whether to enable lingering for this user.";
        };
        packages = mkOption {
          type = types.listOf types.package;
          default = [ ];
          description = "The set of packages that should be made available to the user.";
        };
      };
    };

  groupOpts =
    { name, ... }:
    {
      options = {
        name = mkOption {
          type = types.passwdEntry types.str;
          default = name;
          description = "The name of the group.";
        };
        gid = mkOption {
          type = with types; nullOr int;
          default = null;
          description = "The group GID. If the GID is null, a free GID is picked on activation.";
        };
        members = mkOption {
          type = with types; listOf (passwdEntry str);
          default = [ ];
          description = "The user names of the group members, added to the `/etc/group` file.";
        };
      };
    };
in
{
  options.users = {
    users = mkOption {
      default = { };
      type = with types; attrsOf (submodule userOpts);
      description = "Additional user accounts to be created automatically by the system.";
    };
    groups = mkOption {
      default = { };
      type = with types; attrsOf (submodule groupOpts);
      description = "Additional groups to be created automatically by the system.";
    };
  };

  config.assertions = lib.flatten (
    lib.mapAttrsToList (
      name: user:
      lib.optionals user.enable [
        {
          assertion =
            let
              isEffectivelySystemUser = user.isSystemUser || (user.uid != null && user.uid < 1000);
            in
            lib.xor isEffectivelySystemUser user.isNormalUser;
          message = ''
            Exactly one of users.users.${user.name}.isSystemUser and users.users.${user.name}.isNormalUser must be set.
          '';
        }
        {
          assertion = user.group != "";
          message = ''
            users.users.${user.name}.group is unset. This used to default to
            nogroup, but this is unsafe. For example you can create a group
            for this user with:
            users.users.${user.name}.group = "${user.name}";
            users.groups.${user.name} = {};
          '';
        }
      ]
    ) cfg.users
  );
}
