import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAidbClient } from "../../../services/aidb/api/createAidbClient.js";
import type { Db } from "../../../services/aidb/db/Db.js";
import { buildApp, type CoordinatorApp } from "../../../services/coordinator/app.js";
import { coordinatorConfigSchema, type CoordinatorConfig } from "../../../services/coordinator/coordinatorConfigSchema.js";
import { ROUTING_CONFIG_FILE } from "../../../services/coordinator/routing/RoutingConfigStore.js";
import { startAidbApp, type RunningAidb } from "../../aidb/helpers/startAidbApp.js";
import { openTestPglite, type TestDb } from "../../aidb/helpers/testDb.js";
import { captureLogger } from "../../helpers/captureLogger.js";
import { runAq } from "../../helpers/spawnAq.js";
import { startInferenceApp, type RunningInference } from "../../helpers/startInferenceApp.js";

const day = 86_400_000;
/** Day 0 of the simulation: a Monday at midnight UTC. */
const t0 = Date.parse("2026-01-05T00:00:00.000Z");
const at = (d: number, hours = 0) => new Date(t0 + d * day + hours * 3_600_000);

/** Questions of three query-type buckets of lib/query-expansion.json. */
const questions = [
  "How do I pin a flake input with follows in flake.lock?",
  "How many layers can I offload to the GPU with CUDA?",
  "How do I write a systemd unit with ExecStart and serviceConfig?",
];

/**
 * Writes `days` of rated interactions with controlled timestamps, straight
 * into aidb's tables (the API has no way to backdate, by design): each day 3
 * questions of each bucket answered locally and 1 remotely, each rated an
 * hour later, good with the day's probability (deterministically).
 */
async function seedRatings(db: Db, fromDay: number, toDay: number, localGood: (d: number) => number) {
  for (let d = fromDay; d < toDay; d++) {
    const good = localGood(d);
    for (let i = 0; i < 10; i++) {
      const remote = i === 9;
      const q = questions[i % 3]!;
      const created = at(d, 1 + i);
      const row = await db.query<{ id: string }>(
        `INSERT INTO interactions (created_at, query_text, query_hash, backend, reason) VALUES ($1, $2, $3, $4, 'seeded') RETURNING id::text AS id`,
        [created, q, `h${i % 3}`, remote ? "remote" : "local"],
      );
      // Good for the first round(good * 9) local answers of the day.
      const rating = remote ? 1 : i < Math.round(good * 9) ? 1 : -1;
      await db.query("INSERT INTO interaction_feedback (interaction_id, rating, created_at) VALUES ($1::uuid, $2, $3)", [row.rows[0]!.id, rating, new Date(created.getTime() + 3_600_000)]);
    }
  }
}

interface LearningStack {
  local: RunningInference;
  aidbDb: TestDb;
  aidb: RunningAidb;
  coordinator: CoordinatorApp;
  url: string;
  stateDir: string;
  logs: ReturnType<typeof captureLogger>;
  clock: { now: Date };
  close(): Promise<void>;
}

/** Local inference, aidb on a fresh PGlite, and a coordinator whose learning clock the test moves. */
async function startLearningStack(settings: Partial<Record<keyof CoordinatorConfig, unknown>> = {}, routing?: Record<string, unknown>): Promise<LearningStack> {
  const local = await startInferenceApp({ chatModel: inject("models").chatShort, embedModel: inject("models").embed, contextSize: 2048 });
  const aidbDb = await openTestPglite();
  const aidb = await startAidbApp(aidbDb.db);
  const stateDir = mkdtempSync(join(tmpdir(), "learning-"));
  if (routing) writeFileSync(join(stateDir, ROUTING_CONFIG_FILE), JSON.stringify(routing));
  const config = coordinatorConfigSchema.parse({ port: 0, stateDir, inferenceUrl: local.url, aidbUrl: aidb.url, maxTokens: 8, healthCacheMs: 0, healthTimeoutMs: 5000, ...settings });
  const logs = captureLogger("learning-test");
  const clock = { now: at(0) };
  const coordinator = await buildApp({ config, logger: logs.logger, clock: () => clock.now });
  await coordinator.app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = coordinator.app.server.address() as { port: number };
  return {
    local,
    aidbDb,
    aidb,
    coordinator,
    url: `http://127.0.0.1:${port}`,
    stateDir,
    logs,
    clock,
    close: async () => {
      await coordinator.app.close().catch(() => {});
      await aidb.close().catch(() => {});
      await aidbDb.close().catch(() => {});
      await local.close().catch(() => {});
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

const post = async (url: string, body: unknown = {}) => {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as any };
};

describe("the learning loop over 30 simulated days (real coordinator, aidb, aq)", () => {
  let s: LearningStack;
  const routingFile = () => join(s.stateDir, ROUTING_CONFIG_FILE);
  const threshold = () => s.coordinator.runtime.routingConfig.current().threshold;
  const run = async (d: number) => {
    s.clock.now = at(d);
    const r = await runAq(["proposals", "generate", "--json", "--url", s.url]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as { outcomes: { kind: string; type: string; reason?: string; proposal?: any }[] };
  };
  const proposedId = (report: Awaited<ReturnType<typeof run>>) => {
    const o = report.outcomes.find((x) => x.type === "routing_threshold_adjustment");
    expect(o?.kind).toBe("proposed");
    return o!.proposal.id as string;
  };

  beforeAll(async () => {
    s = await startLearningStack();
    // Weeks 1 and 2: the local model does well (8 of 9 good); weeks 3 to 5: badly (3 of 9 good).
    await seedRatings(s.aidbDb.db, 0, 30, (d) => (d < 14 ? 8 / 9 : 3 / 9));
  }, 120_000);
  afterAll(async () => s?.close());

  it("moves the threshold in bounded weekly steps; a rejected proposal changes nothing", async () => {
    expect(threshold()).toBe(0.7);

    // Day 7: week 1 (89% local success) -> lower by one step.
    const week1 = await run(7);
    const p1 = proposedId(week1);
    expect(week1.outcomes[0]!.proposal.proposal).toMatchObject({ current_value: 0.7, proposed_value: 0.65 });
    expect(week1.outcomes[0]!.proposal.proposal.evidence.data.buckets.map((b: { bucket: string }) => b.bucket)).toEqual(["flake", "gpu", "systemd unit"]);
    // Nothing changes until it is approved.
    expect(threshold()).toBe(0.7);
    const listed = await runAq(["proposals", "list", "--url", s.url]);
    expect(listed.stdout).toContain(`${p1}  open`);
    const shown = await runAq(["proposals", "show", p1, "--url", s.url]);
    expect(shown.stdout).toMatch(/flake\s+local 21 good \/ 0 bad \(100%\)/);
    expect(shown.stdout).toMatch(/systemd unit\s+local 14 good \/ 7 bad \(67%\)/);
    expect(shown.stdout).toMatch(/proposed\s+by weekly job/);
    const approved = await runAq(["proposals", "approve", p1, "--note", "looks right", "--url", s.url]);
    expect(approved.code).toBe(0);
    expect(threshold()).toBe(0.65);
    expect(JSON.parse(readFileSync(routingFile(), "utf8"))).toMatchObject({ local_confidence_threshold: 0.65 });

    // Day 8: the same week -> nothing more.
    const again = await run(8);
    expect(again.outcomes).toContainEqual(expect.objectContaining({ kind: "skipped", type: "routing_threshold_adjustment", reason: "already_proposed_this_week" }));

    // Day 14: week 2 still good -> 0.60.
    const p2 = proposedId(await run(14));
    expect((await runAq(["proposals", "approve", p2, "--url", s.url])).code).toBe(0);
    expect(threshold()).toBe(0.6);

    // Day 21: week 3 (33%) -> raise to 0.65; rejected: nothing changes, not even the file.
    const before = { text: readFileSync(routingFile(), "utf8"), mtime: statSync(routingFile()).mtimeMs };
    const week3 = await run(21);
    const p3 = proposedId(week3);
    expect(week3.outcomes[0]!.proposal.proposal).toMatchObject({ current_value: 0.6, proposed_value: 0.65 });
    const rejected = await runAq(["proposals", "reject", p3, "--note", "not this week", "--url", s.url]);
    expect(rejected.code).toBe(0);
    expect(threshold()).toBe(0.6);
    expect(readFileSync(routingFile(), "utf8")).toBe(before.text);
    expect(statSync(routingFile()).mtimeMs).toBe(before.mtime);
    // A decided proposal cannot be approved afterwards.
    const late = await runAq(["proposals", "approve", p3, "--url", s.url]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/rejected, not open/);
    expect(threshold()).toBe(0.6);

    // Day 28: week 4 still bad -> 0.65, applied.
    const p4 = proposedId(await run(28));
    expect((await runAq(["proposals", "approve", p4, "--url", s.url])).code).toBe(0);
    expect(threshold()).toBe(0.65);

    // Day 29: a second change inside the same 7 days is refused, logged, and leaves the proposal open.
    s.clock.now = at(29);
    const aidb = createAidbClient({ url: s.aidb.url, timeoutMs: 10_000 });
    const extra = await aidb.learning.propose(
      {
        type: "routing_threshold_adjustment",
        target: "local_confidence_threshold",
        current_value: 0.65,
        proposed_value: 0.7,
        confidence: 0.5,
        evidence: { summary: "a second step in one week", window_start: at(22).toISOString(), window_end: at(29).toISOString(), ratings: 63, data: {} },
      },
      { actor: "test", at: at(29) },
    );
    const refused = await post(`${s.url}/proposals/${extra.id}/approve`, { actor: "test" });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe("weekly_step_exceeded");
    expect(threshold()).toBe(0.65);
    const kept = await aidb.learning.get(extra.id);
    expect(kept?.status).toBe("open");
    expect(kept?.events.map((e) => e.event)).toEqual(["proposed", "apply_failed"]);

    // The history: three steps of 0.05, at least 7 days apart.
    const history = await aidb.learning.thresholdHistory();
    expect(history.map((h) => [h.from, h.to, h.at])).toEqual([
      [0.7, 0.65, at(7).toISOString()],
      [0.65, 0.6, at(14).toISOString()],
      [0.6, 0.65, at(28).toISOString()],
    ]);
    for (let i = 0; i < history.length; i++) {
      expect(Math.abs(history[i]!.to - history[i]!.from)).toBeLessThanOrEqual(0.05 + 1e-9);
      if (i > 0) expect(Date.parse(history[i]!.at) - Date.parse(history[i - 1]!.at)).toBeGreaterThanOrEqual(7 * day);
    }
    // Every proposal, application and rejection is kept.
    const all = await aidb.learning.list({ limit: 100 });
    expect(all.map((p) => [p.id, p.status])).toEqual(expect.arrayContaining([[p1, "applied"], [p2, "applied"], [p3, "rejected"], [p4, "applied"], [extra.id, "open"]]));
    const rejectedRecord = all.find((p) => p.id === p3)!;
    expect(rejectedRecord.events.map((e) => [e.event, e.note])).toEqual([
      ["proposed", null],
      ["rejected", "not this week"],
    ]);
    const events = s.logs.lines().map((l) => l.event);
    for (const e of ["proposal_created", "proposal_applied", "proposal_rejected", "proposal_apply_failed", "routing_config_written"]) expect(events).toContain(e);

    // The coordinator routes with the threshold in force.
    const answer = await post(`${s.url}/query`, { query: "how do flakes pin inputs?" });
    expect(answer.status).toBe(200);
    expect(answer.body.routing.threshold).toBe(0.65);
  });

  it("a stale proposal (the file was changed by hand) is refused and the hand edit is kept", async () => {
    const aidb = createAidbClient({ url: s.aidb.url, timeoutMs: 10_000 });
    const open = (await aidb.learning.list({ status: "open" }))[0]!;
    writeFileSync(routingFile(), JSON.stringify({ local_confidence_threshold: 0.5 }));
    await expect.poll(() => threshold(), { timeout: 5000 }).toBe(0.5);
    s.clock.now = at(40);
    const r = await post(`${s.url}/proposals/${open.id}/approve`, { actor: "test" });
    expect(r.status).toBe(409);
    expect(r.body.error).toBe("proposal_stale");
    expect(threshold()).toBe(0.5);
  });
});

describe("auto-apply, and the other proposal types", () => {
  let s: LearningStack;
  beforeAll(async () => {
    s = await startLearningStack({ learningAutoApply: true, learningThresholdMax: 0.7, queryRewrite: true, learningMinRatings: 10 }, { local_confidence_threshold: 0.7 });
    await seedRatings(s.aidbDb.db, 0, 7, () => 2 / 9);
    // Most of the week's questions were knowledge gaps.
    const ids = await s.aidbDb.db.query<{ id: string }>("SELECT id::text AS id FROM interactions ORDER BY created_at LIMIT 40");
    for (const { id } of ids.rows) {
      await s.aidbDb.db.query(`INSERT INTO query_gaps (query_text_hash, query_text, "timestamp", score, collection_searched, interaction_id) VALUES ('h', 'q', $1, 0.1, '*', $2::uuid)`, [at(3), id]);
    }
  }, 120_000);
  afterAll(async () => s?.close());

  it("with learningAutoApply the weekly job applies at once: a code change at the top of the range, one more query rewrite", async () => {
    s.clock.now = at(7);
    const r = await post(`${s.url}/learning/run`, {});
    expect(r.status).toBe(200);
    const byType = Object.fromEntries(r.body.outcomes.map((o: { type: string }) => [o.type, o]));
    expect(byType.routing_threshold_adjustment).toMatchObject({ kind: "skipped", reason: "at_bound" });
    expect(byType.code_change_required).toMatchObject({ kind: "applied", proposal: { status: "applied" } });
    expect(byType.iteration_limit_increase).toMatchObject({ kind: "applied", proposal: { proposal: { current_value: 3, proposed_value: 4 } } });
    expect(s.coordinator.runtime.routingConfig.current()).toMatchObject({ threshold: 0.7, maxQueryRewrites: 4 });
    expect(JSON.parse(readFileSync(join(s.stateDir, ROUTING_CONFIG_FILE), "utf8"))).toEqual({ local_confidence_threshold: 0.7, max_query_rewrites: 4 });
    const changes = readFileSync(join(s.stateDir, "learning-changes.md"), "utf8");
    expect(changes).toMatch(/^## 2026-01-12: The local model fails .* even at the highest threshold$/m);
    expect(changes).toContain(`- proposal: ${byType.code_change_required.proposal.id} (approved by auto-apply)`);
    expect(byType.code_change_required.proposal.events.map((e: { actor: string; event: string }) => [e.event, e.actor])).toEqual([
      ["proposed", "weekly job"],
      ["applied", "auto-apply"],
    ]);
    // A dry run proposes nothing and stores nothing.
    s.clock.now = at(8);
    const dry = await post(`${s.url}/learning/run`, { dry_run: true });
    expect(dry.body.dry_run).toBe(true);
    expect(dry.body.outcomes.filter((o: { kind: string }) => o.kind === "proposed" || o.kind === "applied")).toEqual([]);
  });

  it("the dashboard summary shows the loop", async () => {
    const r = await fetch(`${s.url}/learning/summary`);
    const summary = (await r.json()) as any;
    expect(summary).toMatchObject({ threshold: 0.7, max_query_rewrites: 4, dlq_depth: 0, open_proposals: [] });
  });
});
