# Mirrors nixos/lib/systemd-lib.nix (NixOS/nixpkgs, release 25.11): the unit
# name type, the [Service] checks, job scripts, the modules every NixOS unit
# gets (unitConfig from requires/after/..., environment.PATH from `path`, the
# default `path`) and the renderer that turns a unit into its file. Read from
# the stored nixpkgs text, which is not pinned to the 25.11 commit; only what
# the harness needs is here (no mount/socket/timer units, no stage 1).
{ lib, pkgs }:
let
  inherit (lib)
    concatLists
    concatMapStrings
    concatStrings
    elem
    isList
    makeBinPath
    makeSearchPathOutput
    mapAttrsToList
    mkAfter
    mkIf
    optional
    optionalAttrs
    optionalString
    trace
    types
    ;
in
rec {
  unitNameType = types.strMatching "[a-zA-Z0-9@%:_.\\-]+[.](service|socket|device|mount|automount|swap|target|path|timer|scope|slice)";

  assertValueOneOf =
    name: values: group: attr:
    optional (
      attr ? ${name} && !elem attr.${name} values
    ) "Systemd ${group} field `${name}' cannot have value `${toString attr.${name}}'.";

  checkUnitConfig =
    group: checks: attrs:
    let
      # Applied to each definition of serviceConfig before merging, so values
      # may still be mkOverride/mkIf wrappers: check what they hold.
      defs = lib.mapAttrs (
        _: v:
        if v._type or "" == "override" then
          v.content
        else if v._type or "" == "if" then
          v.content
        else
          v
      ) attrs;
      errors = concatLists (map (c: c group defs) checks);
    in
    if errors == [ ] then true else trace (lib.concatStringsSep "\n" errors) false;

  toOption =
    x:
    if x == true then
      "true"
    else if x == false then
      "false"
    else
      toString x;

  attrsToSection =
    as:
    concatStrings (
      concatLists (mapAttrsToList (name: value: map (x: "${name}=${toOption x}\n") (if isList value then value else [ value ])) as)
    );

  # The real one writes a shell application per script; a text file is enough to name it in ExecStart.
  makeJobScript =
    name: text:
    "${pkgs.writeShellScript "unit-script-${name}" ''
      set -e
      ${text}
    ''}";

  # [Unit] keys from the list options, as normal-priority definitions (a module
  # that also sets unitConfig.After to another value clashes, as on NixOS).
  unitConfig =
    {
      config,
      name,
      options,
      ...
    }:
    {
      config.unitConfig =
        optionalAttrs (config.requires != [ ]) { Requires = toString config.requires; }
        // optionalAttrs (config.wants != [ ]) { Wants = toString config.wants; }
        // optionalAttrs (config.upholds != [ ]) { Upholds = toString config.upholds; }
        // optionalAttrs (config.after != [ ]) { After = toString config.after; }
        // optionalAttrs (config.before != [ ]) { Before = toString config.before; }
        // optionalAttrs (config.bindsTo != [ ]) { BindsTo = toString config.bindsTo; }
        // optionalAttrs (config.partOf != [ ]) { PartOf = toString config.partOf; }
        // optionalAttrs (config.conflicts != [ ]) { Conflicts = toString config.conflicts; }
        // optionalAttrs (config.requisite != [ ]) { Requisite = toString config.requisite; }
        // optionalAttrs (config.description != "") { Description = config.description; }
        // optionalAttrs (config.documentation != [ ]) { Documentation = toString config.documentation; }
        // optionalAttrs (config.onFailure != [ ]) { OnFailure = toString config.onFailure; }
        // optionalAttrs (config.onSuccess != [ ]) { OnSuccess = toString config.onSuccess; }
        // optionalAttrs options.startLimitIntervalSec.isDefined { StartLimitIntervalSec = toString config.startLimitIntervalSec; }
        // optionalAttrs options.startLimitBurst.isDefined { StartLimitBurst = toString config.startLimitBurst; };
    };

  # Every service's PATH comes from `path`, at normal priority: a module that
  # sets environment.PATH itself must use mkForce.
  serviceConfig =
    { name, config, ... }:
    {
      config = {
        name = "${name}.service";
        environment.PATH = mkIf (
          config.path != [ ]
        ) "${makeBinPath config.path}:${makeSearchPathOutput "bin" "sbin" config.path}";
      };
    };

  stage2ServiceConfig = {
    imports = [ serviceConfig ];
    # Default path for systemd services.
    config.path = mkAfter [
      pkgs.coreutils
      pkgs.findutils
      pkgs.gnugrep
      pkgs.gnused
      pkgs.systemd
    ];
  };

  targetConfig =
    { name, ... }:
    {
      config.name = "${name}.target";
    };

  # The unit file, as serviceToUnit/targetToUnit and commonUnitText write it.
  serviceToText =
    def:
    let
      env = def.environment;
    in
    "[Unit]\n"
    + attrsToSection def.unitConfig
    + "\n[Service]\n"
    + concatMapStrings (n: optionalString (env.${n} != null) "Environment=${builtins.toJSON "${n}=${env.${n}}"}\n") (
      builtins.attrNames env
    )
    + optionalString def.reloadIfChanged "X-ReloadIfChanged=true\n"
    + optionalString (!def.restartIfChanged) "X-RestartIfChanged=false\n"
    + optionalString (!def.stopIfChanged) "X-StopIfChanged=false\n"
    + attrsToSection def.serviceConfig;

  targetToText = def: "[Unit]\n" + attrsToSection def.unitConfig;

  # Upstream's timerConfig module and timerToUnit's text: [Unit], then [Timer].
  timerConfig =
    { name, ... }:
    {
      config.name = "${name}.timer";
    };

  timerToText = def: "[Unit]\n" + attrsToSection def.unitConfig + "\n[Timer]\n" + attrsToSection def.timerConfig;
}
