# A stand-in for nixpkgs' `pkgs` with only what nix/modules uses, so the
# modules evaluate with nixpkgs' lib alone. Derivations are fake attribute
# sets with an outPath; nothing is built. `formats.json` has nixpkgs' real
# JSON type, so settings are type-checked as on a real system.
{ lib, system }:
let
  fakeDrv =
    name: extra:
    {
      type = "derivation";
      inherit name;
      outPath = "/nix/store/00000000000000000000000000000000-${name}";
      meta = { };
    }
    // extra;
  cpu = builtins.head (lib.splitString "-" system);
in
{
  stdenv.hostPlatform = {
    inherit system;
    parsed.cpu.name = cpu;
    isx86_64 = cpu == "x86_64";
    isAarch64 = cpu == "aarch64";
  };

  # As in nixpkgs' pkgs-lib/formats.nix.
  formats.json =
    { }:
    {
      type =
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
      generate = name: value: fakeDrv name { passthru.json = builtins.toJSON value; };
    };

  writeText = name: text: fakeDrv name { inherit text; };
  writeShellApplication =
    args:
    fakeDrv args.name {
      inherit (args) text;
      meta.mainProgram = args.name;
    };
  runCommand = name: env: script: fakeDrv name { };
  callPackage =
    path: args:
    fakeDrv "nixos-ai-stack" {
      meta.mainProgram = "aq";
      passthru.args = args;
    };

  coreutils = fakeDrv "coreutils" { };
  curl = fakeDrv "curl" { };
  gnugrep = fakeDrv "gnugrep" { };
  prometheus = fakeDrv "prometheus" { cli = fakeDrv "prometheus-cli" { }; };
  open-webui = fakeDrv "open-webui" { };
  qdrant = fakeDrv "qdrant" { };
}
