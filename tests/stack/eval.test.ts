import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import defaultSuite from "../../lib/eval-suite.json" with { type: "json" };
import { evalSuiteSchema } from "../../services/stack/eval/evalSuiteSchema.js";
import { formatTrend } from "../../services/stack/eval/formatTrend.js";
import { runAq } from "../helpers/spawnAq.js";
import { startCoordinatorStack, type CoordinatorStack } from "../coordinator/helpers/startCoordinatorStack.js";

describe("eval suites", () => {
  it("the default suite is valid and has every kind of case", () => {
    const suite = evalSuiteSchema.parse(defaultSuite);
    expect(suite.floor).toBe(0.6);
    expect(new Set(suite.cases.map((c) => c.kind))).toEqual(new Set(["retrieval", "routing", "answer"]));
  });

  it("refuses duplicate ids and an expectation of nothing", () => {
    const dup = evalSuiteSchema.safeParse({ name: "x", cases: [1, 2].map(() => ({ id: "a", kind: "routing", query: "q", expect: { backend: "local" } })) });
    expect(dup.error?.issues[0]?.message).toMatch(/duplicate case id "a"/);
    expect(evalSuiteSchema.safeParse({ name: "x", cases: [{ id: "a", kind: "routing", query: "q", expect: {} }] }).success).toBe(false);
  });

  it("prints the trend oldest first with the last change", () => {
    const run = (score: number | null, i: number) => ({ id: String(i), suite: "s", started_at: "", finished_at: "", score, passed: 0, failed: 0, skipped: 0, floor: 0.6, details: { cases: [], notes: [] } });
    expect(formatTrend([run(1, 3), run(0.5, 2), run(0.25, 1)])).toBe("trend: 25% → 50% → 100% (+50 points since the previous run)");
    expect(formatTrend([])).toBe("trend: no runs yet");
  });
});

describe("aq eval against the whole stack with synthetic models", () => {
  let s: CoordinatorStack;
  let dir: string;
  const common = () => ["--url", s.url, "--aidb-url", s.aidb.url, "--inference-url", s.local.url];

  beforeAll(async () => {
    s = await startCoordinatorStack();
    dir = mkdtempSync(join(tmpdir(), "eval-"));
  });
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes retrieval and routing, skips answer checks by design, stores the score and prints the trend", async () => {
    const first = await runAq(["eval", ...common()]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^passed\s+retrieval\s+retrieval-flake-lock: "eval: flake.lock pins inputs" was in the context$/m);
    expect(first.stdout).toMatch(/^passed\s+routing\s+routing-force-local: local \(force_local\)$/m);
    expect(first.stdout).toMatch(/^passed\s+routing\s+routing-weak-context: local \(remote_not_configured\)$/m);
    expect(first.stdout).toMatch(/^skipped_by_design answer\s+answer-flake-lock: the local model \(synthetic-tiny-chatml\) is synthetic/m);
    expect(first.stdout).toContain("score 100% (6 passed, 0 failed, 2 skipped by design); floor 60%");
    expect(first.stdout).toContain("trend: 100%");
    const second = await runAq(["eval", "--json", ...common()]);
    const report = JSON.parse(second.stdout);
    expect(report.run).toMatchObject({ suite: "default", score: 1, passed: 6, failed: 0, skipped: 2, floor: 0.6 });
    expect(report.trend.map((t: { score: number }) => t.score)).toEqual([1, 1]);
    // Stored in aidb's database.
    const rows = await s.aidb.runtime.db.query<{ score: number; details: { cases: { outcome: string }[] } }>("SELECT score, details FROM eval_runs ORDER BY started_at");
    expect(rows.rows).toHaveLength(2);
    expect(rows.rows[0]!.details.cases.filter((c) => c.outcome === "skipped_by_design")).toHaveLength(2);
  });

  it("warns below the floor (journald gets eval_below_floor), and --strict fails", async () => {
    const suite = join(dir, "strict.json");
    writeFileSync(
      suite,
      JSON.stringify({
        name: "strict",
        floor: 0.75,
        cases: [
          { id: "local", kind: "routing", query: "what is a flake?", request: { force_local: true }, expect: { backend: "local" } },
          { id: "remote", kind: "routing", query: "what is a flake?", request: { force_remote: true }, expect: { backend: "remote" } },
          { id: "answer", kind: "answer", query: "what is a flake?", expect: { substring: "flake" } },
        ],
      }),
    );
    const r = await runAq(["eval", "--suite", suite, "--answers", "skip", ...common()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^failed\s+routing\s+remote: backend local, expected remote$/m);
    expect(r.stdout).toContain("WARNING: the strict suite scored 50%, below its 75% floor");
    expect(JSON.parse(r.stderr.trim())).toMatchObject({ level: "warn", event: "eval_below_floor", suite: "strict", score: 0.5, floor: 0.75 });
    const strict = await runAq(["eval", "--suite", suite, "--answers", "skip", "--strict", ...common()]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain("trend: 50% → 50% (+0 points since the previous run)");
  });

  it("a bad suite is exit 2 naming the key; an unreachable stack is exit 1", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ name: "Bad Name", cases: [] }));
    const r = await runAq(["eval", "--suite", bad, ...common()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid "name"/);
    const down = await runAq(["eval", "--url", "http://127.0.0.1:1", "--aidb-url", "http://127.0.0.1:1", "--inference-url", "http://127.0.0.1:1"]);
    expect(down.code).toBe(1);
  });
});
