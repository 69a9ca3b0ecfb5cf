# Evaluate nix/package.nix with stand-ins for its nixpkgs arguments and
# return what the tests check: the Node it builds on and wraps, and how GPU
# builds find the driver's libraries. buildNpmPackage returns its arguments,
# so nothing is fetched or built.
#   nix-instantiate --eval --strict --json -E \
#     'import ./tests/nix/harness/eval-package.nix { nixpkgsLib = /path/to/lib; keepGpuBinaries = true; }'
{
  nixpkgsLib,
  keepGpuBinaries ? false,
  system ? "x86_64-linux",
}:
let
  lib = import nixpkgsLib;
  hostPlatform = lib.systems.elaborate system;
  pkgs = import ./stub-pkgs.nix { inherit lib hostPlatform; };
  tool =
    pname: version:
    pkgs.writeShellApplication {
      name = pname;
      text = version;
    };
  node =
    major: version:
    tool "nodejs-${version}" version
    // {
      inherit major version;
      name = "nodejs-${version}";
      meta.mainProgram = "node";
    };
  f = import ../../../nix/package.nix;
  # Every argument package.nix asks for must exist in nixpkgs 25.11; these are the ones it may ask for.
  available = {
    inherit lib;
    inherit (pkgs) runCommand addDriverRunpath;
    stdenv = pkgs.stdenv // {
      cc.cc.lib = tool "gcc-lib" "14";
    };
    buildNpmPackage = args: args;
    importNpmLock = (_: tool "npm-deps" "1") // {
      npmConfigHook = tool "npm-config-hook" "1";
    };
    nodejs_20 = node 20 "20.19.5";
    nodejs_22 = node 22 "22.21.1";
    nodejs_24 = node 24 "24.11.1";
    makeWrapper = tool "make-wrapper" "1";
    autoPatchelfHook = tool "auto-patchelf-hook" "1";
    vulkan-loader = tool "vulkan-loader" "1.4.321";
  };
  wanted = builtins.functionArgs f;
  missing = builtins.filter (n: !wanted.${n} && !(available ? ${n})) (builtins.attrNames wanted);
  args = assert missing == [ ] || throw "nix/package.nix asks for ${toString missing}, which the harness does not know"; builtins.intersectAttrs wanted available // { inherit keepGpuBinaries; npmRegistry = "https://registry.example.invalid"; };
  drv = f args;
in
{
  functionArgs = builtins.attrNames wanted;
  nodejs = {
    inherit (drv.nodejs) name version;
    major = drv.nodejs.major;
  };
  installPhase = drv.installPhase;
  nodeStorePath = "${drv.nodejs}";
  buildInputs = map (p: p.name) drv.buildInputs;
  appendRunpaths = drv.appendRunpaths or [ ];
  autoPatchelfIgnoreMissingDeps = drv.autoPatchelfIgnoreMissingDeps or [ ];
  license = drv.meta.license.spdxId or null;
}
