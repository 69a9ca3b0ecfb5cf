# Mirrors nixos/lib/systemd-unit-options.nix (NixOS/nixpkgs, release 25.11):
# the options of a stage-2 systemd unit and service, with their real types and
# defaults. unitOption merges as upstream: lists concatenate, anything else must
# be equal in every definition. serviceConfig is checked like upstream's
# checkService (Type and Restart values). Read from the stored nixpkgs text,
# which is not pinned to the 25.11 commit. Timers are mirrored (timerOptions,
# stage2TimerOptions). Not mirrored: sockets, paths, mounts, slices, stage 1, and the confinement options that
# nixos/modules/security/systemd-confinement.nix adds.
{ lib, systemdLib }:
let
  inherit (lib)
    any
    concatMap
    isList
    mergeEqualOption
    mkMerge
    mkIf
    mkOption
    mkOptionType
    toList
    types
    ;
  inherit (systemdLib)
    assertValueOneOf
    checkUnitConfig
    makeJobScript
    unitNameType
    ;

  checkService = checkUnitConfig "Service" [
    (assertValueOneOf "Type" [
      "exec"
      "simple"
      "forking"
      "oneshot"
      "dbus"
      "notify"
      "notify-reload"
      "idle"
    ])
    (assertValueOneOf "Restart" [
      "no"
      "on-success"
      "on-failure"
      "on-abnormal"
      "on-abort"
      "always"
    ])
  ];

  unitList = mkOption {
    default = [ ];
    type = types.listOf unitNameType;
  };
  lines = mkOption {
    type = types.lines;
    default = "";
  };
in
rec {
  unitOption = mkOptionType {
    name = "systemd option";
    merge =
      loc: defs:
      let
        defs' = lib.filterOverrides defs;
      in
      if any (def: isList def.value) defs' then concatMap (def: toList def.value) defs' else mergeEqualOption loc defs';
  };

  sharedOptions = {
    enable = mkOption {
      default = true;
      type = types.bool;
    };
    overrideStrategy = mkOption {
      default = "asDropinIfExists";
      type = types.enum [
        "asDropinIfExists"
        "asDropin"
      ];
    };
    requiredBy = unitList;
    upheldBy = unitList;
    wantedBy = unitList;
    aliases = unitList;
  };

  commonUnitOptions = {
    options = sharedOptions // {
      name = mkOption {
        type = types.str;
        description = "The name of this systemd unit, including its extension.";
      };
      description = mkOption {
        default = "";
        type = types.singleLineStr;
      };
      documentation = mkOption {
        default = [ ];
        type = types.listOf types.str;
      };
      requires = unitList;
      wants = unitList;
      upholds = unitList;
      after = unitList;
      before = unitList;
      bindsTo = unitList;
      partOf = unitList;
      conflicts = unitList;
      requisite = unitList;
      onFailure = unitList;
      onSuccess = unitList;
      unitConfig = mkOption {
        default = { };
        type = types.attrsOf unitOption;
      };
      startLimitBurst = mkOption { type = types.int; };
      startLimitIntervalSec = mkOption { type = types.int; };
    };
  };

  stage2CommonUnitOptions = {
    imports = [ commonUnitOptions ];
    options = {
      restartTriggers = mkOption {
        default = [ ];
        type = types.listOf types.unspecified;
      };
      reloadTriggers = mkOption {
        default = [ ];
        type = types.listOf unitOption;
      };
    };
  };

  serviceOptions =
    { name, config, ... }:
    {
      options = {
        environment = mkOption {
          default = { };
          type =
            with types;
            attrsOf (
              nullOr (oneOf [
                str
                path
                package
              ])
            );
        };
        path = mkOption {
          default = [ ];
          type =
            with types;
            listOf (oneOf [
              package
              str
            ]);
        };
        serviceConfig = mkOption {
          default = { };
          type = types.addCheck (types.attrsOf unitOption) checkService;
        };
        script = lines;
        scriptArgs = mkOption {
          type = types.str;
          default = "";
        };
        preStart = lines;
        postStart = lines;
        reload = lines;
        preStop = lines;
        postStop = lines;
      };

      config = mkMerge [
        (mkIf (config.preStart != "") { serviceConfig.ExecStartPre = [ (makeJobScript "${name}-pre-start" config.preStart) ]; })
        (mkIf (config.script != "") {
          serviceConfig.ExecStart = makeJobScript "${name}-start" config.script + " " + config.scriptArgs;
        })
        (mkIf (config.postStart != "") { serviceConfig.ExecStartPost = [ (makeJobScript "${name}-post-start" config.postStart) ]; })
        (mkIf (config.reload != "") { serviceConfig.ExecReload = makeJobScript "${name}-reload" config.reload; })
        (mkIf (config.preStop != "") { serviceConfig.ExecStop = makeJobScript "${name}-pre-stop" config.preStop; })
        (mkIf (config.postStop != "") { serviceConfig.ExecStopPost = makeJobScript "${name}-post-stop" config.postStop; })
      ];
    };

  stage2ServiceOptions = {
    imports = [
      stage2CommonUnitOptions
      serviceOptions
    ];
    options = {
      restartIfChanged = mkOption {
        type = types.bool;
        default = true;
      };
      reloadIfChanged = mkOption {
        type = types.bool;
        default = false;
      };
      stopIfChanged = mkOption {
        type = types.bool;
        default = true;
      };
      notSocketActivated = mkOption {
        type = types.bool;
        default = false;
      };
      startAt = mkOption {
        type = with types; either str (listOf str);
        default = [ ];
        apply = v: if isList v then v else [ v ];
      };
    };
  };

  # Timers (upstream's timerOptions and stage2TimerOptions).
  timerOptions = {
    options = {
      timerConfig = mkOption {
        default = { };
        example = {
          OnCalendar = "Sun 14:00:00";
          Unit = "foo.service";
        };
        type = types.attrsOf unitOption;
        description = "Each attribute in this set specifies an option in the `[Timer]` section of the unit.";
      };
    };
  };

  stage2TimerOptions = {
    imports = [
      stage2CommonUnitOptions
      timerOptions
    ];
  };
}
