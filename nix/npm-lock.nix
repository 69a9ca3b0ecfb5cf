# Fill in the `resolved` field of a package-lock.json (v2/v3) from an npm
# registry base URL. Pure: builtins only.
#
# Our lockfile records each package's name, version and sha512 `integrity`, but
# no `resolved` URL. nixpkgs' fetchers need that URL: prefetch-npm-deps
# (fetchNpmDeps) silently skips entries without it, and importNpmLock leaves
# them to npm, which then has no network in the sandbox. An npm registry serves
# every tarball at <registry>/<name>/-/<basename>-<version>.tgz, so the URL
# follows from what the lockfile already has, and `integrity` pins the content.
#
#   import ./npm-lock.nix { lock = builtins.fromJSON (builtins.readFile ../package-lock.json); registry = "https://..."; }
#     -> { lock = <lock with resolved filled in>; missing = [ <paths that lacked resolved> ]; }
{ lock, registry ? null }:
let
  packages = lock.packages or { };

  # "node_modules/a/node_modules/@s/b" -> "@s/b"
  nameOf =
    path:
    let
      parts = builtins.split "node_modules/" path;
    in
    builtins.elemAt parts (builtins.length parts - 1);

  # "@s/b" -> "b", "a" -> "a"
  baseOf =
    name:
    let
      m = builtins.match "@[^/]+/(.+)" name;
    in
    if m == null then name else builtins.head m;

  needsUrl =
    path: p:
    path != "" && !(p ? resolved) && !(p.link or false) && !(p.inBundle or false) && (p ? version);

  missing = builtins.filter (path: needsUrl path packages.${path}) (builtins.attrNames packages);

  trimSlash = s: let m = builtins.match "(.*[^/])/*" s; in if m == null then s else builtins.head m;

  urlFor =
    path: p:
    let
      name = p.name or (nameOf path);
    in
    "${trimSlash registry}/${name}/-/${baseOf name}-${p.version}.tgz";

  filled = builtins.mapAttrs (
    path: p: if needsUrl path p then p // { resolved = urlFor path p; } else p
  ) packages;
in
{
  inherit missing;
  lock =
    if missing == [ ] then
      lock
    else if registry == null then
      throw "npm-lock: ${toString (builtins.length missing)} lockfile entries have no `resolved` URL; pass the npm registry base URL (see docs/deploy.md)"
    else
      lock // { packages = filled; };
}
