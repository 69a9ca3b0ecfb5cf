import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nixEval, nixMissing, nixpkgsLib, nixpkgsLibMissing, nixString, repoRoot } from "./nixEval.js";

const missing = nixMissing ?? nixpkgsLibMissing;
if (missing) console.warn(`tests/nix/package: skipped: ${missing}`);

interface PackageEval {
  functionArgs: string[];
  nodejs: { name: string; version: string; major: number };
  nodeStorePath: string;
  installPhase: string;
  buildInputs: string[];
  appendRunpaths: string[];
  autoPatchelfIgnoreMissingDeps: string[];
}

/** nix/package.nix evaluated with stand-ins for its nixpkgs arguments (tests/nix/harness/eval-package.nix). */
const evalPackage = (keepGpuBinaries: boolean) =>
  nixEval<PackageEval>(`import ./tests/nix/harness/eval-package.nix { nixpkgsLib = ${nixString(nixpkgsLib ?? "")}; keepGpuBinaries = ${keepGpuBinaries}; }`);

describe.skipIf(missing !== null)("nix/package.nix", () => {
  it("builds on Node 24, a maintained LTS, and wraps aq with that same Node (Node 20 is end-of-life since 2026-04-30)", () => {
    const p = evalPackage(false);
    expect(p.functionArgs).toContain("nodejs_24");
    expect(p.functionArgs.filter((a) => a.startsWith("nodejs"))).toEqual(["nodejs_24"]);
    expect(p.nodejs.major).toBe(24);
    expect(p.installPhase).toContain(`makeWrapper ${p.nodeStorePath}/bin/node $out/bin/aq`);
  });

  it("keeps the bundles runnable on every Node from the esbuild target up: the packaged one and this machine's", () => {
    const target = /target:\s*"node(\d+)"/.exec(readFileSync(join(repoRoot, "scripts/build.mjs"), "utf8"))?.[1];
    expect(target).toBeDefined();
    const here = Number(process.versions.node.split(".")[0]);
    expect(Number(target)).toBeLessThanOrEqual(Math.min(evalPackage(false).nodejs.major, here));
    const engines = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
    expect(engines).toBe(`>=${target}`);
  });

  it("gives GPU builds the driver's library directory and nixpkgs' Vulkan loader, and CPU builds neither", () => {
    const gpu = evalPackage(true);
    expect(gpu.appendRunpaths).toEqual(["/run/opengl-driver/lib"]);
    expect(gpu.buildInputs).toEqual(expect.arrayContaining([expect.stringMatching(/^vulkan-loader/)]));
    // libvulkan comes from the store now; only the CUDA libraries are left to the host.
    expect(gpu.autoPatchelfIgnoreMissingDeps.filter((d) => !/^libcu/.test(d))).toEqual([]);
    expect(gpu.installPhase).not.toContain("rm -rf node_modules/@node-llama-cpp");

    const cpu = evalPackage(false);
    expect(cpu.appendRunpaths).toEqual([]);
    expect(cpu.buildInputs.some((b) => b.startsWith("vulkan-loader"))).toBe(false);
    expect(cpu.installPhase).toContain("rm -rf node_modules/@node-llama-cpp/$glob");
  });
});
