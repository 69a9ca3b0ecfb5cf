import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSuites, suites } from "../../bench/benchSuites.js";
import { hasRedisServer } from "../helpers/startRedis.js";

// Every benchmark suite at smoke sizes (every step once, seconds each), so
// that a benchmark cannot fall behind the services unnoticed. No figure is
// asserted; a suite that throws fails. Sections go to a temporary file, and
// docs/benchmarks.md is left alone.

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "bench-smoke-"));
const out = join(dir, "benchmarks.md");
const docs = join(root, "docs", "benchmarks.md");
const docsBefore = readFileSync(docs, "utf8");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const needs: Record<string, string | null> = {
  coordinator: hasRedisServer() ? null : "redis-server is not on PATH (scripts/provision.sh installs it)",
};

describe.sequential("benchmark suites at smoke sizes", () => {
  for (const name of Object.keys(suites)) {
    const missing = needs[name] ?? null;
    it.skipIf(missing !== null)(`${name} runs to the end and writes its section${missing ? ` (skipped: ${missing})` : ""}`, async () => {
      const run = await runSuites({ root, names: [name], smoke: true, file: out, artifactsDir: join(dir, "artifacts"), log: () => {} });
      expect(run[name].results.length).toBeGreaterThan(0);
      const section = readFileSync(out, "utf8").match(new RegExp(`<!-- bench:${name}:start -->([\\s\\S]*?)<!-- bench:${name}:end -->`))?.[1];
      expect(section).toContain(`## ${suites[name].title}`);
      for (const r of run[name].results) expect(section).toContain(`| ${r.name} |`);
    }, 180_000);
  }

  it("leaves docs/benchmarks.md alone", () => {
    expect(readFileSync(docs, "utf8")).toBe(docsBefore);
  });
});
