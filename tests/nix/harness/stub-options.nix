# Minimal declarations of the NixOS options nix/modules sets, so the module can
# be evaluated with nixpkgs' lib.evalModules and no nixpkgs. Types follow
# NixOS where it matters to our definitions (lists concatenate, unit settings
# merge per key, script lines join); other services are free-form.
{ config, lib, ... }:
let
  inherit (lib) mkOption types;
  freeform = mkOption {
    type = types.submodule { freeformType = types.attrsOf types.anything; };
    default = { };
  };
  # systemd's unitOption: lists concatenate, other values must agree.
  unitOption = types.oneOf [
    types.bool
    types.int
    types.str
    (types.listOf types.str)
  ];
  serviceType = types.submodule {
    options = {
      description = mkOption {
        type = types.str;
        default = "";
      };
      wantedBy = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      requiredBy = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      after = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      before = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      wants = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      requires = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      environment = mkOption {
        type = types.attrsOf types.str;
        default = { };
      };
      serviceConfig = mkOption {
        type = types.attrsOf unitOption;
        default = { };
      };
      script = mkOption {
        type = types.lines;
        default = "";
      };
      postStart = mkOption {
        type = types.lines;
        default = "";
      };
    };
  };
in
{
  options = {
    assertions = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
    };
    warnings = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };

    nixpkgs.hostPlatform = mkOption {
      type = types.str;
      default = "x86_64-linux";
    };
    nixpkgs.config = mkOption {
      type = types.attrsOf types.anything;
      default = { };
    };
    networking.hostName = mkOption {
      type = types.str;
      default = "nixos";
    };
    system.stateVersion = mkOption {
      type = types.str;
      default = "25.11";
    };
    fileSystems = mkOption {
      type = types.attrsOf (types.attrsOf types.anything);
      default = { };
    };

    boot.loader = freeform;
    boot.kernel.sysctl = mkOption {
      type = types.attrsOf (types.oneOf [ types.int types.str types.bool ]);
      default = { };
    };
    boot.kernelParams = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    boot.kernelModules = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    zramSwap = freeform;

    users.users = mkOption {
      type = types.attrsOf (types.attrsOf types.anything);
      default = { };
    };
    users.groups = mkOption {
      type = types.attrsOf (types.attrsOf types.anything);
      default = { };
    };

    systemd.services = mkOption {
      type = types.attrsOf serviceType;
      default = { };
    };
    systemd.tmpfiles.rules = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };

    services.postgresql = mkOption {
      type = types.submodule {
        freeformType = types.attrsOf types.anything;
        options = {
          ensureDatabases = mkOption {
            type = types.listOf types.str;
            default = [ ];
          };
          ensureUsers = mkOption {
            type = types.listOf (types.attrsOf types.anything);
            default = [ ];
          };
        };
      };
      default = { };
    };
    services.redis = freeform;
    services.thermald = freeform;
    services.prometheus = freeform;
    services.grafana = freeform;
    services.open-webui = freeform;
    services.qdrant = freeform;
  };

  config._module.args.pkgs = import ./stub-pkgs.nix {
    inherit lib;
    system = config.nixpkgs.hostPlatform;
  };
}
