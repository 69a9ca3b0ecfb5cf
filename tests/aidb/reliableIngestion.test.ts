import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildApp, type AidbApp } from "../../services/aidb/app.js";
import { aidbConfigSchema, type AidbConfig } from "../../services/aidb/aidbConfigSchema.js";
import { createAidbClient } from "../../services/aidb/api/createAidbClient.js";
import type { IngestJob } from "../../services/aidb/api/ingestJobsContract.js";
import { backoffDelayMs } from "../../services/shared/retry/retryPolicy.js";
import { isTransientError } from "../../services/shared/retry/isTransientError.js";
import { RetriesExhaustedError, withRetry } from "../../services/shared/retry/withRetry.js";
import { ServiceError } from "../../services/shared/http/ServiceError.js";
import { captureLogger } from "../helpers/captureLogger.js";
import { runAq, spawnAq, type AqProcess } from "../helpers/spawnAq.js";
import { waitFor } from "../helpers/startInferenceApp.js";
import { openTestPglite, type TestDb } from "./helpers/testDb.js";

describe("retries with exponential backoff and full jitter", () => {
  const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 };

  it("doubles the ceiling per retry, caps it, and draws below it", () => {
    expect([1, 2, 3, 4].map((r) => backoffDelayMs(policy, r, () => 0.999999))).toEqual([99, 199, 249, 249]);
    expect(backoffDelayMs(policy, 3, () => 0)).toBe(0);
  });

  it("retries transient failures up to the bound, never a refusal", async () => {
    let calls = 0;
    const waits: number[] = [];
    const down = new ServiceError("embedding service", "unreachable", "cannot reach");
    const err = await withRetry(
      async () => {
        calls++;
        throw down;
      },
      { policy: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, onRetry: (i) => waits.push(i.retry) },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect(err).toMatchObject({ attempts: 3, transient: true, lastError: down });
    expect(calls).toBe(3);
    expect(waits).toEqual([1, 2]);

    calls = 0;
    const refused = new ServiceError("embedding service", "http", "input too long", 400, "input_too_long");
    const e2 = await withRetry(
      async () => {
        calls++;
        throw refused;
      },
      { policy },
    ).catch((e: unknown) => e);
    expect(e2).toMatchObject({ attempts: 1, transient: false });
    expect(calls).toBe(1);

    let n = 0;
    expect(await withRetry(async () => (++n < 3 ? Promise.reject(Object.assign(new Error("x"), { code: "ECONNRESET" })) : "ok"), { policy: { ...policy, baseDelayMs: 1 } })).toBe("ok");
  });

  it("tells outages from refusals", () => {
    expect(isTransientError(new ServiceError("s", "timeout", "t"))).toBe(true);
    expect(isTransientError(new ServiceError("s", "http", "busy", 503))).toBe(true);
    expect(isTransientError(new ServiceError("s", "http", "slow down", 429))).toBe(true);
    expect(isTransientError(new ServiceError("s", "http", "bad", 400))).toBe(false);
    expect(isTransientError(Object.assign(new Error("terminating connection"), { code: "57P01" }))).toBe(true);
    expect(isTransientError(Object.assign(new Error("connection failure"), { code: "08006" }))).toBe(true);
    expect(isTransientError(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isTransientError(Object.assign(new Error("duplicate key"), { code: "23505" }))).toBe(false);
    expect(isTransientError(new Error("syntax error"))).toBe(false);
  });
});

/** A free loopback port, so the embedder can be restarted where aidb expects it. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A paragraph of distinct words (no secrets, no injection), about `words` long. */
function paragraph(seed: number, words = 110): string {
  const vocab = ["nix", "store", "path", "derivation", "module", "option", "service", "unit", "closure", "channel", "overlay", "package", "build", "input", "output", "hash", "profile", "generation", "system", "flake"];
  const out: string[] = [`Document ${seed} begins.`];
  for (let i = 0; i < words; i++) out.push(vocab[(seed * 7 + i * 3 + Math.floor(i / 5)) % vocab.length]! + (i % 12 === 11 ? "." : ""));
  out.push(`Unique marker m${seed}x${seed * 31}.`);
  return out.join(" ");
}

const docs = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ document: { project: `reliable-${tag}`, title: `${tag}-${i}.md`, text: paragraph(i + 1000 * tag.length) } }));

describe("reliable ingestion against a real embedding service that dies", () => {
  let dbh: TestDb;
  let port: number;
  let embedder: AqProcess | undefined;
  let aidb: { built: AidbApp; url: string; logs: ReturnType<typeof captureLogger> } | undefined;

  const startEmbedder = async () => {
    const p = spawnAq(["serve", "inference", "--chat-model", inject("models").chatShort, "--embed-model", inject("models").embed, "--port", String(port), "--threads", "1", "--sequences", "1"]);
    await waitFor(
      async () => {
        if (p.child.exitCode !== null) throw new Error(`the embedder exited: ${p.stderr()}`);
        const r = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined);
        return r?.ok ? true : undefined;
      },
      60_000,
      "the embedding service",
    );
    embedder = p;
  };
  const killEmbedder = async () => {
    const p = embedder!;
    embedder = undefined;
    p.child.kill("SIGKILL");
    await p.exited;
  };

  const settings: Partial<AidbConfig> = {
    chunkTokens: 32,
    chunkOverlapTokens: 0,
    embedBatchSize: 8,
    ingestRetryAttempts: 3,
    ingestRetryBaseMs: 50,
    ingestRetryMaxMs: 200,
    ingestJobSliceDocuments: 4,
    ingestJobPauseMs: 300,
    ingestJobMaxPauses: 10_000,
  };
  const startAidb = async (extra: Partial<AidbConfig> = {}) => {
    const config = aidbConfigSchema.parse({ embeddingsUrl: `http://127.0.0.1:${port}`, port: 0, ...settings, ...extra });
    const logs = captureLogger("aidb-reliable");
    const built = await buildApp({ config, logger: logs.logger, db: dbh.db });
    await built.app.listen({ host: "127.0.0.1", port: 0 });
    const { port: aidbPort } = built.app.server.address() as { port: number };
    aidb = { built, url: `http://127.0.0.1:${aidbPort}`, logs };
    return aidb;
  };
  const client = () => createAidbClient({ url: aidb!.url, timeoutMs: 120_000 });
  const counts = async (project: string) => {
    const r = await dbh.db.query<{ docs: number; hashes: number; chunks: number; declared: number; empty: number }>(
      `SELECT count(*)::int AS docs, count(DISTINCT content_hash)::int AS hashes,
              (SELECT count(*)::int FROM chunks c JOIN documents d2 ON d2.id = c.document_id WHERE d2.project = $1) AS chunks,
              coalesce(sum(chunk_count), 0)::int AS declared,
              count(*) FILTER (WHERE chunk_count = 0)::int AS empty
       FROM documents WHERE project = $1`,
      [project],
    );
    return r.rows[0]!;
  };
  /** The sum of a metric's series (those carrying `label`, e.g. `status="stored"`). */
  const metric = async (name: string, label = "") => {
    const text = await (await fetch(`${aidb!.url}/metrics`)).text();
    return text
      .split("\n")
      .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(label))
      .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
  };
  const waitJob = (id: string, done: (j: IngestJob) => boolean, timeoutMs = 120_000) =>
    waitFor(async () => {
      const j = await client().jobs.get(id);
      return j && done(j) ? j : undefined;
    }, timeoutMs, `job ${id}`);

  beforeAll(async () => {
    dbh = await openTestPglite();
    port = await freePort();
    await startEmbedder();
    await startAidb();
  });

  afterAll(async () => {
    await aidb?.built.app.close();
    if (embedder) await killEmbedder();
    await dbh?.close();
  });

  it("a job whose embedder is killed mid-batch waits, resumes when it is back, and stores every document exactly once", async () => {
    const items = docs(80, "kill");
    const job = await client().jobs.create("kill-test", items);
    expect(job).toMatchObject({ status: "running", total: 80, next_offset: 0 });
    await waitJob(job.id, (j) => j.next_offset >= 8);
    await killEmbedder();
    const killedAt = (await client().jobs.get(job.id))!.next_offset;
    expect(killedAt).toBeLessThan(80); // killed mid-batch, not after
    // The job notices the outage and waits, keeping its position: nothing is dead-lettered.
    const waiting = await waitJob(job.id, (j) => j.status === "waiting", 30_000);
    expect(waiting.last_error).toMatch(/embed/);
    expect(waiting.next_offset).toBeLessThan(80);
    expect(await metric("aidb_ingest_retries_total", 'stage="embed"')).toBeGreaterThan(0);
    await startEmbedder();
    const done = await waitJob(job.id, (j) => j.status === "done");
    expect(done).toMatchObject({ next_offset: 80, dead_lettered: 0, failed: 0 });
    expect(done.stored + done.duplicates).toBe(80);
    const c = await counts("reliable-kill");
    expect(c).toMatchObject({ docs: 80, hashes: 80, empty: 0 });
    expect(c.chunks).toBe(c.declared);
    expect((await client().dlq.list()).total).toBe(0);
    const events = aidb!.logs.lines().map((l) => l.event);
    expect(events).toContain("ingest_job_waiting");
    expect(events).toContain("ingest_retry");
  });

  it("an aidb restart mid-job resumes from the persisted position, without duplicates or losses", async () => {
    const items = docs(48, "restart");
    const job = await client().jobs.create("restart-test", items);
    await waitJob(job.id, (j) => j.next_offset >= 8);
    await aidb!.built.app.close();
    const stoppedAt = (await dbh.db.query<{ next_offset: number }>("SELECT next_offset FROM ingest_jobs WHERE id = $1", [job.id])).rows[0]!.next_offset;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(48);
    await startAidb();
    const done = await waitJob(job.id, (j) => j.status === "done");
    expect(done.next_offset).toBe(48);
    // The new process started at the persisted position: it stored only what was left.
    const storedByNew = await metric("aidb_ingested_documents_total", 'status="stored"');
    expect(storedByNew).toBeLessThanOrEqual(48 - stoppedAt);
    expect(storedByNew).toBeGreaterThan(0);
    expect(await counts("reliable-restart")).toMatchObject({ docs: 48, hashes: 48, empty: 0 });
    expect((await dbh.db.query<{ n: number }>("SELECT count(*)::int AS n FROM ingest_job_items WHERE job_id = $1", [job.id])).rows[0]!.n).toBe(0);
  });

  it("documents that fail after their retries are dead-lettered (cleaned), then aq dlq retry and drop empty the queue", async () => {
    await killEmbedder();
    const secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
    const r = await fetch(`${aidb!.url}/documents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        documents: [
          { project: "reliable-dlq", title: "a.md", text: `${paragraph(1)} token ${secret}` },
          { project: "reliable-dlq", title: "b.md", text: paragraph(2) },
          { project: "reliable-dlq", title: "c.md", text: paragraph(3) },
        ],
      }),
    });
    const body = (await r.json()) as { failed: number; results: { status: string; dead_letter_id?: number; error?: string }[] };
    expect(body.failed).toBe(3);
    expect(body.results.every((x) => x.status === "failed" && typeof x.dead_letter_id === "number")).toBe(true);
    expect(body.results[0]!.error).toMatch(/embedding failed/);
    expect(await metric("aidb_dead_lettered_documents_total")).toBe(3);
    expect(await metric("aidb_dead_letter_depth")).toBe(3);
    // The queue keeps the cleaned text: the secret never reaches a column.
    const raw = await dbh.db.query<{ item: unknown; attempts: number }>("SELECT item, attempts FROM ingest_dead_letters ORDER BY id");
    expect(JSON.stringify(raw.rows)).not.toContain(secret);
    expect(JSON.stringify(raw.rows)).toContain("[REDACTED:");
    expect(raw.rows.every((x) => x.attempts === 3)).toBe(true);

    const list = await runAq(["dlq", "list", "--url", aidb!.url]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/3 dead letters/);
    expect(list.stdout).toMatch(/embed\s+3 tries\s+reliable-dlq\s+a\.md/);

    // Still down: a retry keeps them, counting the tries.
    const again = await runAq(["dlq", "retry", "--url", aidb!.url]);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/3 retried: 0 stored, 0 already stored, 3 still failing/);
    expect((await dbh.db.query<{ attempts: number }>("SELECT attempts FROM ingest_dead_letters ORDER BY id")).rows.map((x) => x.attempts)).toEqual([6, 6, 6]);

    await startEmbedder();
    const [first, second] = body.results.map((x) => x.dead_letter_id!);
    const retried = await runAq(["dlq", "retry", "--id", `${first},${second}`, "--url", aidb!.url]);
    expect(retried.stderr).toBe("");
    expect(retried.code).toBe(0);
    expect(retried.stdout).toMatch(/2 retried: 2 stored/);
    expect(await counts("reliable-dlq")).toMatchObject({ docs: 2, hashes: 2 });

    expect((await runAq(["dlq", "drop", "--url", aidb!.url])).code).toBe(2);
    const dropped = await runAq(["dlq", "drop", "--all", "--url", aidb!.url]);
    expect(dropped.stdout).toMatch(/dropped 1 dead letter$/m);
    const empty = await runAq(["dlq", "list", "--json", "--url", aidb!.url]);
    expect(JSON.parse(empty.stdout)).toEqual({ total: 0, items: [] });
    expect(await metric("aidb_dead_letter_depth")).toBe(0);
  });
});
