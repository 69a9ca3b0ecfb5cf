# The ai-stack services and the `aq` CLI: esbuild bundles (npm run build) plus
# the runtime node_modules that esbuild leaves external (node-llama-cpp and
# PGlite load native binaries, WASM and archives from files next to them).
#
# Dependencies. Our package-lock.json has `integrity` for every package but no
# `resolved` URLs (see nix/npm-lock.nix), so:
#   * npmRegistry = "<base URL of your npm registry>" (what `npm config get registry`
#     prints): the URLs are derived from name + version and every tarball is a
#     fixed-output fetch pinned by its sha512. No npmDepsHash needed. Recommended.
#   * npmRegistry = null and a lockfile that does have `resolved` fields:
#     fetchNpmDeps with npmDepsHash. lib.fakeHash below is a placeholder, not a
#     hash: the first build fails and prints the real one to paste in.
#   * neither: the build stops with a message saying which of the two to do.
# docs/deploy.md walks through both.
{
  lib,
  stdenv,
  buildNpmPackage,
  importNpmLock,
  runCommand,
  # Node 24 (Active LTS, maintained until 2028-04-30; nixos-25.11 has it). Node
  # 20 reached its end of life on 2026-04-30. esbuild still targets node20
  # (scripts/build.mjs), so the bundles also run on the Node 20 of a dev box.
  nodejs_24,
  makeWrapper,
  autoPatchelfHook,
  addDriverRunpath,
  vulkan-loader,
  npmRegistry ? null,
  # Placeholder until you build once with a lockfile that has `resolved` URLs (docs/deploy.md).
  npmDepsHash ? lib.fakeHash,
  # node-llama-cpp ships CUDA and Vulkan builds of llama.cpp (~700 MB). The
  # services run on the CPU build; keep the GPU builds only when you offload.
  keepGpuBinaries ? false,
}:
let
  root = ../.;
  packageJson = lib.importJSON (root + "/package.json");
  rawLock = lib.importJSON (root + "/package-lock.json");
  npmLock = import ./npm-lock.nix {
    lock = rawLock;
    registry = npmRegistry;
  };
  lockHasUrls = npmLock.missing == [ ];

  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.unions [
      (root + "/package.json")
      (root + "/package-lock.json")
      (root + "/tsconfig.json")
      (root + "/scripts")
      (root + "/services")
      (root + "/lib")
    ];
  };

  unresolvable = runCommand "nixos-ai-stack-npm-deps-unresolvable" { } ''
    echo "package-lock.json has ${toString (builtins.length npmLock.missing)} entries without a 'resolved' URL." >&2
    echo "Set npmRegistry to your npm registry's base URL (npm config get registry), or" >&2
    echo "regenerate the lockfile with resolved URLs and set npmDepsHash. See docs/deploy.md." >&2
    exit 1
  '';

  deps =
    if npmRegistry != null then
      {
        npmDeps = importNpmLock {
          npmRoot = src;
          package = packageJson;
          packageLock = npmLock.lock;
        };
        npmConfigHook = importNpmLock.npmConfigHook;
      }
    else if lockHasUrls then
      { inherit npmDepsHash; }
    else
      { npmDeps = unresolvable; };

  nodejs = nodejs_24;

  gpuBinaryGlobs = [
    "*-cuda"
    "*-cuda-ext"
    "*-vulkan"
  ];
in
buildNpmPackage (
  deps
  // {
    pname = "nixos-ai-stack";
    inherit (packageJson) version;
    inherit src;
    inherit nodejs;

    # `npm run build` = node scripts/build.mjs (esbuild bundles into dist/).
    npmBuildScript = "build";

    # node-llama-cpp must never try to download or compile llama.cpp.
    env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = "true";

    nativeBuildInputs = [
      makeWrapper
      autoPatchelfHook
    ];
    # The prebuilt llama.cpp binaries link libstdc++ and libgomp; the Vulkan
    # build links the Vulkan loader, which nixpkgs has.
    buildInputs = [ stdenv.cc.cc.lib ] ++ lib.optionals keepGpuBinaries [ vulkan-loader ];
    # The CUDA build links the driver's libcuda and the CUDA runtime
    # (libcudart, libcublas), which are not in the store: the driver's come
    # from the host at run time, see appendRunpaths.
    autoPatchelfIgnoreMissingDeps = [
      "libcuda.so.*"
      "libcudart.so.*"
      "libcublas.so.*"
      "libcublasLt.so.*"
    ];
    # Every patched binary also looks in /run/opengl-driver/lib, where NixOS
    # puts the graphics driver's libraries (libcuda.so.1, Vulkan ICDs):
    # without it the GPU builds load but find no driver at run time.
    appendRunpaths = lib.optionals keepGpuBinaries [ "${addDriverRunpath.driverLink}/lib" ];

    installPhase = ''
      runHook preInstall
      npm prune --omit=dev --no-save --ignore-scripts
      ${lib.optionalString (!keepGpuBinaries) ''
        for glob in ${lib.escapeShellArgs gpuBinaryGlobs}; do
          rm -rf node_modules/@node-llama-cpp/$glob
        done
      ''}
      dest=$out/lib/nixos-ai-stack
      mkdir -p $dest $out/bin
      cp -r dist package.json node_modules $dest/
      mkdir -p $dest/lib
      cp lib/*.json $dest/lib/
      makeWrapper ${lib.getExe nodejs} $out/bin/aq \
        --add-flags $dest/dist/aq.js \
        --set NODE_LLAMA_CPP_SKIP_DOWNLOAD true
      runHook postInstall
    '';

    meta = {
      description = "Personal AI stack: local inference, knowledge store, RAG coordinator and the aq CLI";
      license = lib.licenses.mit;
      mainProgram = "aq";
      platforms = lib.platforms.linux;
    };
  }
)
