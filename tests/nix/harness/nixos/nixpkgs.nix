# Mirrors nixos/modules/misc/nixpkgs.nix (NixOS/nixpkgs, release 25.11):
# nixpkgs.hostPlatform (elaborated with lib.systems.elaborate, no default: a
# host must name its platform) and nixpkgs.config (upstream's "nixpkgs config"
# type: attribute sets or functions, merged with recursiveUpdate, so of two
# allowUnfreePredicate definitions the later silently wins). As upstream, this
# module passes `pkgs` to every module; here it is ../stub-pkgs.nix built with
# this config, which honours allowUnfree / allowUnfreePredicate like nixpkgs'
# pkgs/stdenv/generic/check-meta.nix. Not mirrored: nixpkgs.pkgs,
# overlays, buildPlatform, localSystem/crossSystem and the legacy `system`.
{
  config,
  lib,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.nixpkgs;

  isConfig = x: builtins.isAttrs x || lib.isFunction x;
  optCall = f: x: if lib.isFunction f then f x else f;
  mergeConfig =
    lhs_: rhs_:
    let
      lhs = optCall lhs_ { inherit pkgs; };
      rhs = optCall rhs_ { inherit pkgs; };
    in
    lib.recursiveUpdate lhs rhs
    // lib.optionalAttrs (lhs ? packageOverrides) {
      packageOverrides = pkgs: optCall lhs.packageOverrides pkgs // optCall (lib.attrByPath [ "packageOverrides" ] { } rhs) pkgs;
    };
  configType = lib.mkOptionType {
    name = "nixpkgs-config";
    description = "nixpkgs config";
    check = isConfig;
    merge = args: lib.foldr (def: mergeConfig def.value) { };
  };

  pkgs = import ../stub-pkgs.nix {
    inherit lib;
    hostPlatform = cfg.hostPlatform;
    config = cfg.config;
  };
in
{
  options.nixpkgs = {
    hostPlatform = mkOption {
      type = types.either types.str types.attrs;
      example = {
        system = "aarch64-linux";
      };
      apply = lib.systems.elaborate;
      description = "Specifies the platform where the NixOS configuration will run.";
    };

    config = mkOption {
      default = { };
      example = lib.literalExpression ''
        { allowBroken = true; allowUnfree = true; }
      '';
      type = configType;
      description = "Global configuration for Nixpkgs.";
    };
  };

  config._module.args.pkgs = pkgs;
}
