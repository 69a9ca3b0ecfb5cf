# A stand-in for nixpkgs' `pkgs` with what nix/modules, hosts/ and the
# mirrored NixOS modules in ./nixos use, so they evaluate with nixpkgs' lib
# alone. Nothing is built: a package is an attribute set with type =
# "derivation", its pname, version and meta, and an outPath derived from what
# it was made of. Package versions here are placeholders.
#
# Licences are real: `meta.license` of open-webui is nixpkgs' own (fullName
# "Open WebUI License", free = false). As pkgs/stdenv/generic/check-meta.nix
# does, every package gets meta.unfree / meta.broken / meta.unsupported /
# meta.available computed from `config` (nixpkgs.config: allowUnfree,
# allowUnfreePredicate, allowBroken, allowUnsupportedSystem), and a package
# that is not available refuses when its outPath or drvPath is used (a unit
# naming it, a JSON file containing it), with nixpkgs' reasons. Not mirrored:
# NIXPKGS_ALLOW_UNFREE from the environment, allowlisted/blocklisted licences,
# insecure packages.
#
# `formats` has the types of pkgs/pkgs-lib/formats.nix, so settings are
# type-checked as on a real system; a generated file's outPath depends on its
# whole value, so rendering a unit that names it forces every setting.
{
  lib,
  hostPlatform,
  config ? { },
}:
let
  system = hostPlatform.system;

  allowUnfree = config.allowUnfree or false;
  allowUnfreePredicate = config.allowUnfreePredicate or (_: false);
  allowBroken = config.allowBroken or false;
  allowUnsupportedSystem = config.allowUnsupportedSystem or false;

  isUnfree = licenses: lib.any (l: !l.free or true) licenses;
  hasUnfreeLicense = attrs: attrs ? meta.license && isUnfree (lib.toList attrs.meta.license);
  hasDeniedUnfreeLicense = attrs: hasUnfreeLicense attrs && !allowUnfree && !allowUnfreePredicate attrs;
  hasUnsupportedPlatform = attrs: !(lib.elem system (attrs.meta.platforms or lib.platforms.all));
  showLicense = license: toString (map (l: l.shortName or "unknown") (lib.toList license));

  refusal =
    attrs:
    if hasDeniedUnfreeLicense attrs then
      ''
        Package ‘${attrs.name}’ has an unfree license (‘${showLicense attrs.meta.license}’), refusing to evaluate.

        Allow it with { nixpkgs.config.allowUnfree = true; }, or for this package only:
          { nixpkgs.config.allowUnfreePredicate = pkg: builtins.elem (lib.getName pkg) [ "${lib.getName attrs}" ]; }
      ''
    else if (attrs.meta.broken or false) && !allowBroken then
      "Package ‘${attrs.name}’ is marked as broken, refusing to evaluate."
    else if hasUnsupportedPlatform attrs && !allowUnsupportedSystem then
      "Package ‘${attrs.name}’ is not available on the requested hostPlatform: ${system}, refusing to evaluate."
    else
      null;

  # A fake derivation. `contents` is what the real one is built from; its
  # outPath hashes it, so using the outPath forces (and type-checks) all of it.
  mkDrv =
    {
      pname,
      version ? "1.0",
      meta ? { },
      passthru ? { },
      contents ? null,
    }:
    let
      name = if version == null then pname else "${pname}-${version}";
      attrs = { inherit pname version name meta; };
      why = refusal attrs;
      hash = builtins.substring 0 32 (builtins.hashString "sha256" "${name}:${builtins.toJSON contents}");
      path = if why == null then "/nix/store/${hash}-${name}" else throw why;
    in
    {
      type = "derivation";
      inherit pname version name;
      outPath = path;
      drvPath = path + ".drv";
      outputs = [ "out" ];
      outputName = "out";
      meta = meta // {
        unfree = hasUnfreeLicense attrs;
        broken = meta.broken or false;
        unsupported = hasUnsupportedPlatform attrs;
        available = why == null;
      };
    }
    // passthru;

  pkg =
    pname: version: extra:
    mkDrv (
      {
        inherit pname version;
        meta = {
          license = lib.licenses.mit;
        }
        // (extra.meta or { });
      }
      // builtins.removeAttrs extra [ "meta" ]
    );

  file =
    name: contents:
    mkDrv {
      pname = name;
      version = null;
      inherit contents;
      meta.license = lib.licenses.free;
    };

  # pkgs/pkgs-lib/formats.nix: JSON and YAML take any JSON value; INI takes
  # sections of atoms (lists of atoms when listToValue is given).
  jsonValue =
    let
      valueType =
        lib.types.nullOr (
          lib.types.oneOf [
            lib.types.bool
            lib.types.int
            lib.types.float
            lib.types.str
            lib.types.path
            (lib.types.attrsOf valueType)
            (lib.types.listOf valueType)
          ]
        )
        // {
          description = "JSON value";
        };
    in
    valueType;
  # Like pkgs/pkgs-lib/formats.nix, the generated file carries its JSON text
  # as `value` (nixpkgs passes it to jq that way), so tests can read it.
  jsonLike = _: {
    type = jsonValue;
    generate =
      name: value:
      file name value
      // {
        value = builtins.toJSON value;
      };
  };
  ini =
    {
      listToValue ? null,
      ...
    }:
    {
      type =
        let
          singleIniAtom =
            lib.types.nullOr (
              lib.types.oneOf [
                lib.types.bool
                lib.types.int
                lib.types.float
                lib.types.str
              ]
            )
            // {
              description = "INI atom (null, bool, int, float or string)";
            };
          iniAtom =
            if listToValue != null then
              lib.types.coercedTo singleIniAtom lib.singleton (lib.types.nonEmptyListOf singleIniAtom)
            else
              singleIniAtom;
        in
        lib.types.attrsOf (lib.types.attrsOf iniAtom);
      generate = name: value: file name value;
    };

  postgresqlFor =
    major: version:
    let
      base = pkg "postgresql" version {
        passthru = {
          psqlSchema = major;
          withJIT = base;
          withoutJIT = base;
          # ps: [ ps.pgvector ], as postgresql.pkgs offers it.
          pkgs = {
            pgvector = pkg "postgresql-pgvector" "0.8.1" { meta.license = lib.licenses.postgresql; };
          };
          withPackages =
            f:
            let
              exts = f base.pkgs;
            in
            pkg "postgresql-and-plugins" version {
              contents = map (e: e.name) exts;
              passthru = {
                inherit (base) psqlSchema withJIT withoutJIT;
                installedExtensions = exts;
              };
            };
        };
      };
    in
    base;

  self = {
    inherit lib config;

    stdenv = {
      inherit hostPlatform;
      buildPlatform = hostPlatform;
    };

    formats = {
      json = jsonLike;
      yaml = jsonLike;
      inherit ini;
    };

    writeText = name: text: file name text;
    writeTextDir = path: text: file (baseNameOf path) text;
    writeShellScript = name: text: file name text;
    writeShellApplication =
      args:
      mkDrv {
        pname = args.name;
        version = null;
        contents = args.text;
        meta = {
          license = lib.licenses.free;
          mainProgram = args.name;
        };
      };
    # As in nixpkgs, the derivation has its build script as `buildCommand` and
    # each of `env`'s attributes (the build's environment variables) as an
    # attribute, so tests can run the script the build would run.
    runCommand =
      name: env: script:
      let
        drv = file name {
          inherit script;
          env = builtins.removeAttrs env [ "nativeBuildInputs" ];
        };
      in
      builtins.removeAttrs env (builtins.attrNames drv) // drv // { buildCommand = script; };
    buildEnv = args: file args.name (map toString args.paths);

    # nix/modules calls ../package.nix through this; the stub records the
    # arguments instead of building (tests/nix/harness/eval-package.nix
    # evaluates package.nix itself).
    callPackage =
      path: args:
      mkDrv {
        pname = "nixos-ai-stack";
        version = "0.1.0";
        meta = {
          license = lib.licenses.mit;
          mainProgram = "aq";
        };
        passthru.args = args;
      };

    # pkgs/build-support/add-driver-runpath: where NixOS puts the graphics driver libraries.
    addDriverRunpath.driverLink = "/run/opengl-driver" + lib.optionalString hostPlatform.isi686 "-32";

    coreutils = pkg "coreutils" "9.7" { meta.license = lib.licenses.gpl3Plus; };
    findutils = pkg "findutils" "4.10.0" { meta.license = lib.licenses.gpl3Plus; };
    gnugrep = pkg "gnugrep" "3.12" { meta.license = lib.licenses.gpl3Plus; };
    gnused = pkg "gnused" "4.9" { meta.license = lib.licenses.gpl3Plus; };
    systemd = pkg "systemd" "257.9" { meta.license = lib.licenses.lgpl21Plus; };
    curl = pkg "curl" "8.16.0" { meta.license = lib.licenses.curl; };
    mesa = pkg "mesa" "25.2.6" { };
    # pkgs/os-specific/linux/nvidia-x11: the driver, unfree (unfreeRedistributable).
    linuxPackages.nvidiaPackages.stable = pkg "nvidia-x11" "580.95.05" {
      meta = {
        license = lib.licenses.unfreeRedistributable;
        platforms = [
          "x86_64-linux"
          "aarch64-linux"
        ];
      };
    };
    redis = pkg "redis" "8.2.2" { meta.license = lib.licenses.agpl3Only; };
    postgresql_15 = postgresqlFor "15" "15.14";
    postgresql_16 = postgresqlFor "16" "16.10";
    postgresql_17 = postgresqlFor "17" "17.6";
    prometheus = pkg "prometheus" "3.5.0" {
      meta.license = lib.licenses.asl20;
      passthru.cli = pkg "prometheus-cli" "3.5.0" { meta.license = lib.licenses.asl20; };
    };
    prometheus-node-exporter = pkg "node_exporter" "1.9.1" { meta.license = lib.licenses.asl20; };
    grafana = pkg "grafana" "12.2.1" {
      meta = {
        license = lib.licenses.agpl3Only;
        mainProgram = "grafana";
      };
    };
    thermald = pkg "thermald" "2.5.9" {
      meta = {
        license = lib.licenses.gpl2Plus;
        platforms = [
          "x86_64-linux"
          "i686-linux"
        ];
      };
    };
    qdrant = pkg "qdrant" "1.15.5" { meta.license = lib.licenses.asl20; };
    qdrant-web-ui = pkg "qdrant-web-ui" "0.1.42" { meta.license = lib.licenses.asl20; };
    # pkgs/by-name/op/open-webui/package.nix: a custom, non-free licence.
    open-webui = pkg "open-webui" "0.6.34" {
      meta = {
        license = {
          fullName = "Open WebUI License";
          url = "https://github.com/open-webui/open-webui/blob/main/LICENSE";
          free = false;
        };
        mainProgram = "open-webui";
        platforms = lib.platforms.unix;
      };
    };
  };
in
self
