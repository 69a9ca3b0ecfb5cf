import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import modelsJson from "../../lib/models.json" with { type: "json" };
import ports from "../../lib/ports.json" with { type: "json" };
import tiersJson from "../../lib/tiers.json" with { type: "json" };
import { inferenceConfigSchema } from "../../services/inference/inferenceConfigSchema.js";
import { loadTiers } from "../../services/registry/loadTiers.js";
import { tierNames } from "../../services/registry/tierNames.js";
import { aiLib, evalHost, nixEval, nixFiles, nixMissing, nixpkgsLibMissing, repoRoot } from "../nix/nixEval.js";

if (nixMissing) console.warn(`tests/registry/singleSourceOfTruth: Nix parts skipped: ${nixMissing}`);
if (nixpkgsLibMissing) console.warn(`tests/registry/singleSourceOfTruth: module parts skipped: ${nixpkgsLibMissing}`);

/** A .nix file without its comments. */
const nixSource = (file: string) =>
  readFileSync(join(repoRoot, file), "utf8")
    .split("\n")
    .map((l) => l.replace(/(^|\s)#.*$/, ""))
    .join("\n");

describe.skipIf(nixMissing !== null)("Nix reads the same JSON as TypeScript", () => {
  it("sees the same tiers, models, allowlist and ports", () => {
    const fromNix = nixEval<{ tiers: unknown; models: unknown; allowlist: unknown; ports: unknown; tierNames: unknown }>(
      `let l = ${aiLib}; in { inherit (l) tiers models allowlist ports tierNames; }`,
    );
    expect(fromNix.tiers).toEqual(tiersJson);
    expect(fromNix.models).toEqual(modelsJson.models);
    expect(fromNix.allowlist).toEqual(modelsJson.allowlist);
    expect(fromNix.ports).toEqual(ports);
    expect(fromNix.tierNames).toEqual([...tierNames]);
  });

  it("hard-codes no port number of lib/ports.json in any .nix file of ours", () => {
    const numbers = Object.values(ports).map(String);
    const offenders: string[] = [];
    // tests/nix/harness/nixos/ mirrors nixpkgs' own modules, whose defaults
    // (PostgreSQL 5432, Redis 6379, ...) are upstream's, not ours.
    for (const file of nixFiles().filter((f) => !f.startsWith("tests/nix/harness/nixos/"))) {
      const source = nixSource(file);
      for (const n of numbers) if (new RegExp(`(?<![\\w.-])${n}(?![\\w.])`).test(source)) offenders.push(`${file}: ${n}`);
    }
    expect(offenders).toEqual([]);
  });

  it("would notice a hard-coded port (the scan can fail)", () => {
    const source = `{ port = ${ports.coordinator}; }`;
    expect(new RegExp(`(?<![\\w.-])${ports.coordinator}(?![\\w.])`).test(source)).toBe(true);
  });
});

describe.skipIf(nixMissing !== null || nixpkgsLibMissing !== null)("the NixOS module takes its values from lib/", () => {
  it("has one port option per key of lib/ports.json, defaulting to its value, and uses them", () => {
    const host = evalHost(`{ nixpkgs.hostPlatform = "x86_64-linux"; services.ai-stack = { enable = true; facts.systemRamGb = 16; }; }`);
    const optional = ["openWebui", "qdrantHttp", "qdrantGrpc"];
    expect(Object.keys(host.ports).sort()).toEqual([...new Set([...Object.keys(ports), ...optional])].sort());
    for (const [name, port] of Object.entries(ports)) expect(host.ports[name], name).toBe(port);
    for (const name of optional) expect(host.ports[name], name).toBe((ports as Record<string, number>)[name] ?? null);
    expect(host.settings.inference.port).toBe(ports.inferenceChat);
    expect(host.settings.embeddings.port).toBe(ports.inferenceEmbed);
    expect(host.settings.coordinator.port).toBe(ports.coordinator);
    expect(host.postgresql.port).toBe(ports.postgres);
  });

  it("applies each tier's tiers.json values on a host of that tier", () => {
    const ram: Record<string, number> = { nano: 2, micro: 8, small: 16, medium: 32, large: 64 };
    const tiers = loadTiers();
    for (const tier of tierNames) {
      const host = evalHost(`{ nixpkgs.hostPlatform = "x86_64-linux"; services.ai-stack = { enable = true; facts.systemRamGb = ${ram[tier]}; }; }`);
      expect(host.tier).toBe(tier);
      expect(host.model).toBe(tiers[tier].defaultModel);
      expect(host.settings.inference).toMatchObject({
        contextSize: tiers[tier].inference.contextSize,
        sequences: tiers[tier].inference.sequences,
        queueLimit: tiers[tier].inference.queueLimit,
        threads: tiers[tier].inference.threads,
        batchSize: tiers[tier].inference.batchSize,
        kvCacheType: tiers[tier].inference.kvCacheType,
      });
      expect(host.units["ai-aidb"]?.serviceConfig.MemoryMax).toBe(tiers[tier].memoryMax);
      expect(host.prometheus.enable).toBe(tiers[tier].monitoring);
      expect(inferenceConfigSchema.safeParse(host.settings.inference).success).toBe(true);
    }
  });
});

describe("docs/tiers.md agrees with lib/tiers.json", () => {
  const doc = readFileSync(join(repoRoot, "docs/tiers.md"), "utf8");
  const rows = Object.fromEntries(
    doc
      .split("\n")
      .filter((l) => /^\|\s*(nano|micro|small|medium|large)\s*\|\s*\d+[MG]\s*\|/.test(l))
      .map((l) => {
        const cells = l.split("|").slice(1, -1).map((c) => c.trim());
        return [cells[0], cells];
      }),
  );

  it("has a row per tier with the same caps, models, inference settings and switches", () => {
    const yesNo = (b: boolean) => (b ? "yes" : "no");
    for (const tier of tierNames) {
      const t = tiersJson[tier];
      const e = t.embeddings;
      expect(rows[tier], tier).toEqual([
        tier,
        t.memoryMax,
        t.redisMaxMemory,
        t.defaultModel,
        t.rerankModel ?? "none",
        String(t.inference.threads),
        String(t.inference.contextSize),
        String(t.inference.sequences),
        String(t.inference.batchSize),
        t.inference.kvCacheType,
        String(t.inference.queueLimit),
        `${e.separateUnit ? "" : "in ai-inference, "}${e.contexts} × ${e.contextSize}`,
        yesNo(t.webUi),
        yesNo(t.qdrant),
        yesNo(t.monitoring),
        t.hugePages,
        t.zram.enable ? `${t.zram.memoryPercent}%` : "off",
        t.sysctlProfile,
      ]);
    }
  });
});
