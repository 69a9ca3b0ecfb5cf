import { describe, expect, it } from "vitest";
import lock from "../../package-lock.json" with { type: "json" };
import { nixEval, nixEvalError, nixMissing } from "./nixEval.js";

if (nixMissing) console.warn(`tests/nix/npmLock: skipped: ${nixMissing}`);

// A reserved, unresolvable name: these tests never fetch anything.
const registry = "https://npm.registry.invalid/";

describe.skipIf(nixMissing !== null)("nix/npm-lock.nix fills in the lockfile's tarball URLs", () => {
  const filled = nixMissing
    ? { missing: [], packages: {} }
    : nixEval<{ missing: string[]; packages: Record<string, { resolved?: string; integrity?: string; version?: string }> }>(
        `let r = import ./nix/npm-lock.nix { lock = builtins.fromJSON (builtins.readFile ./package-lock.json); registry = "${registry}"; }; in { inherit (r) missing; inherit (r.lock) packages; }`,
      );

  it("covers every installed package of package-lock.json", () => {
    const installed = Object.keys(lock.packages).filter((k) => k !== "");
    expect(filled.missing.sort()).toEqual(installed.sort());
    for (const path of installed) {
      expect(filled.packages[path]?.resolved, path).toMatch(/^https:\/\/npm\.registry\.invalid\/.+\/-\/.+\.tgz$/);
      expect(filled.packages[path]?.integrity, path).toMatch(/^sha512-/);
    }
  });

  it("uses the registry layout <name>/-/<basename>-<version>.tgz, for scoped and nested packages", () => {
    expect(filled.packages["node_modules/zod"]?.resolved).toBe(`${registry}zod/-/zod-4.6.7.tgz`);
    expect(filled.packages["node_modules/@electric-sql/pglite"]?.resolved).toBe(`${registry}@electric-sql/pglite/-/pglite-0.5.14.tgz`);
    const nested = Object.keys(lock.packages).find((k) => /node_modules\/.+\/node_modules\//.test(k));
    if (nested) {
      const name = nested.slice(nested.lastIndexOf("node_modules/") + "node_modules/".length);
      const base = name.split("/").pop();
      expect(filled.packages[nested]?.resolved).toBe(`${registry}${name}/-/${base}-${filled.packages[nested]?.version}.tgz`);
    }
  });

  it("leaves a lockfile that already has URLs untouched, and needs no registry for it", () => {
    const r = nixEval(
      `(import ./nix/npm-lock.nix { lock = { packages = { "" = { }; "node_modules/a" = { version = "1.0.0"; resolved = "https://x.invalid/a.tgz"; }; }; }; }).lock`,
    );
    expect(r).toEqual({ packages: { "": {}, "node_modules/a": { version: "1.0.0", resolved: "https://x.invalid/a.tgz" } } });
  });

  it("says what to do when URLs are missing and no registry is given", () => {
    expect(nixEvalError(`(import ./nix/npm-lock.nix { lock = builtins.fromJSON (builtins.readFile ./package-lock.json); }).lock`)).toMatch(
      /entries have no `resolved` URL; pass the npm registry base URL \(see docs\/deploy.md\)/,
    );
  });
});
