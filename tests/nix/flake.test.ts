import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { aiLib, nixEval, nixMissing, repoRoot } from "./nixEval.js";

if (nixMissing) console.warn(`tests/nix/flake: skipped: ${nixMissing}`);

/** The published pins from ../shared/FACTS.md (lock files written by Nix itself). */
const pins = {
  nixpkgs: {
    type: "github",
    owner: "NixOS",
    repo: "nixpkgs",
    rev: "8fd9daa3db09ced9700431c5b7ad0e8ba199b575",
    narHash: "sha256-Ti+ZBvW6yrWWAg2szExVTwCd4qOJ3KlVr1tFHfyfi8Q=",
    lastModified: 1778430510,
  },
  "nixpkgs-unstable": {
    type: "github",
    owner: "nixos",
    repo: "nixpkgs",
    rev: "567a49d1913ce81ac6e9582e3553dd90a955875f",
    narHash: "sha256-lrp67w8AulE9Ks53n27I45ADSzbOCn4H+CNW1Ck8B+8=",
    lastModified: 1781577229,
  },
};

interface LockNode {
  locked?: Record<string, unknown>;
  original?: { type: string; owner: string; repo: string; ref: string };
  inputs?: Record<string, string>;
}

describe("flake.lock", () => {
  const lock = JSON.parse(readFileSync(join(repoRoot, "flake.lock"), "utf8")) as { nodes: Record<string, LockNode>; root: string; version: number };

  it("is a version-7 lock with a root node naming both inputs", () => {
    expect(lock.version).toBe(7);
    expect(lock.root).toBe("root");
    expect(lock.nodes.root?.inputs).toEqual({ nixpkgs: "nixpkgs", "nixpkgs-unstable": "nixpkgs-unstable" });
    expect(Object.keys(lock.nodes).sort()).toEqual(["nixpkgs", "nixpkgs-unstable", "root"]);
  });

  it("locks exactly the published revisions and hashes", () => {
    expect(lock.nodes.nixpkgs?.locked).toEqual(pins.nixpkgs);
    expect(lock.nodes["nixpkgs-unstable"]?.locked).toEqual(pins["nixpkgs-unstable"]);
  });

  it.skipIf(nixMissing !== null)("records the same `original` refs that flake.nix asks for", () => {
    const inputs = nixEval<Record<string, { url: string }>>("(import ./flake.nix).inputs");
    for (const [name, input] of Object.entries(inputs)) {
      const o = lock.nodes[name]?.original;
      expect(o, name).toBeDefined();
      expect(input.url).toBe(`${o?.type}:${o?.owner}/${o?.repo}/${o?.ref}`);
    }
    expect(lock.nodes.nixpkgs?.original?.ref).toBe("nixos-25.11");
    expect(lock.nodes["nixpkgs-unstable"]?.original?.ref).toBe("nixos-unstable");
  });

  it.skipIf(nixMissing !== null)("has outputs that take exactly the locked inputs", () => {
    expect(nixEval("builtins.functionArgs (import ./flake.nix).outputs")).toEqual({ self: false, nixpkgs: false, "nixpkgs-unstable": false });
  });
});

describe.skipIf(nixMissing !== null)("hosts/", () => {
  const hostsDir = join(repoRoot, "hosts");
  const hosts = readdirSync(hostsDir).filter((n) => statSync(join(hostsDir, n)).isDirectory());

  it("has one example host per tier plus the SBC template", () => {
    expect(hosts.sort()).toEqual(["laptop-small", "pi5", "sbc-nano", "template-sbc", "thinkpad-p14s", "workstation"]);
    for (const h of hosts) {
      expect(existsSync(join(hostsDir, h, "default.nix")), h).toBe(true);
      expect(existsSync(join(hostsDir, h, "facts.nix")), h).toBe(true);
    }
  });

  it("keeps facts.nix data only: plain JSON-able values, no imports or functions", () => {
    for (const h of hosts) {
      const facts = nixEval<Record<string, unknown>>(`import ./hosts/${h}/facts.nix`);
      expect(facts.hostname, h).toEqual(expect.any(String));
      expect(facts.systemRamGb, h).toEqual(expect.any(Number));
      const source = readFileSync(join(hostsDir, h, "facts.nix"), "utf8").replace(/#.*$/gm, "");
      expect(source, h).not.toMatch(/\bimport\b|\blet\b|\bpkgs\b|\blib\b|:\s*\{|\$\{/);
    }
  });

  it("gives each example host the tier it stands for", () => {
    const tiers = nixEval<Record<string, string>>(
      `let l = ${aiLib}; f = h: import (./hosts + "/\${h}/facts.nix"); t = h: l.hardwareTier { inherit (f h) systemRamGb hasDiscreteGpu cpuArchitecture; }; in { sbc-nano = t "sbc-nano"; pi5 = t "pi5"; laptop-small = t "laptop-small"; thinkpad-p14s = t "thinkpad-p14s"; workstation = t "workstation"; }`,
    );
    expect(tiers).toEqual({ "sbc-nano": "nano", pi5: "micro", "laptop-small": "small", "thinkpad-p14s": "medium", workstation: "large" });
  });

  it("needs only hostname and systemRamGb for the SBC template", () => {
    expect(Object.keys(nixEval<object>("import ./hosts/template-sbc/facts.nix")).sort()).toEqual(["hostname", "systemRamGb"]);
  });
});
