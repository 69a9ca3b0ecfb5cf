import pg from "pg";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import type { Db } from "../../services/aidb/db/Db.js";
import { latestVersion, migrations } from "../../services/aidb/db/migrations.js";
import { openDb, sessionStatements } from "../../services/aidb/db/openDb.js";
import { listeningPort, spawnAq, type AqProcess } from "../helpers/spawnAq.js";
import type { PostgresCluster } from "../helpers/startPostgres.js";
import { acquireTestCluster, describePostgres, productionPoolSettings, releaseTestCluster } from "./helpers/testDb.js";

// The production driver (`pg`, opened by openDb as aidb opens it) against a
// real PostgreSQL 15 with pgvector: what pglite-socket (one shared session)
// cannot show. Pool concurrency, per-connection session settings, rollback
// and lost connections on real backends, and two processes migrating one
// database at once.

const settings = productionPoolSettings();

describePostgres("the pg driver on real PostgreSQL", () => {
  let cluster: PostgresCluster;
  let url: string;
  let db: Db;
  let admin: pg.Client;
  const procs: AqProcess[] = [];
  beforeAll(async () => {
    cluster = await acquireTestCluster();
    url = await cluster.createDatabase();
    db = await openDb({ databaseUrl: url, ...settings });
    admin = new pg.Client({ connectionString: url });
    admin.on("error", () => {}); // ended by the cluster's stop if a test fails
    await admin.connect();
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    await admin?.end();
    await db?.close();
    if (cluster) await releaseTestCluster();
  });

  /** Runs `fn` on `n` pooled connections held at the same time (each in a transaction). */
  async function onConnectionsAtOnce<T>(n: number, fn: (tx: Parameters<Parameters<Db["transaction"]>[0]>[0]) => Promise<T>): Promise<T[]> {
    let arrived = 0;
    let release!: () => void;
    const all = new Promise<void>((r) => (release = r));
    return Promise.all(
      Array.from({ length: n }, () =>
        db.transaction(async (tx) => {
          if (++arrived === n) release();
          await all;
          return fn(tx);
        }),
      ),
    );
  }

  it(`runs ${settings.poolSize} queries at once on ${settings.poolSize} connections, and no more`, async () => {
    const sleep = 0.4;
    const started = performance.now();
    const rows = await Promise.all(
      Array.from({ length: settings.poolSize }, () => db.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid, pg_sleep(${sleep})`)),
    );
    const elapsed = (performance.now() - started) / 1000;
    // One at a time would take poolSize × sleep (1.6 s).
    expect(elapsed).toBeLessThan(sleep * 2.5);
    expect(new Set(rows.map((r) => r.rows[0].pid)).size).toBe(settings.poolSize);
    // Twice as many queries: the pool stays at its size, the rest wait for a connection.
    const twice = await Promise.all(
      Array.from({ length: settings.poolSize * 2 }, () => db.query<{ pid: number }>("SELECT pg_backend_pid() AS pid, pg_sleep(0.1)")),
    );
    expect(new Set(twice.map((r) => r.rows[0].pid)).size).toBeLessThanOrEqual(settings.poolSize);
    const open = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    expect(open.rows[0].n).toBeLessThanOrEqual(settings.poolSize);
  });

  it("applies production's session settings on every pooled connection, replaced ones included", async () => {
    // The settings exactly as production opens its pool: `SET name = value`.
    const expected = sessionStatements(settings.efSearch).map((s) => {
      const m = /^SET (\S+) = (\S+)$/.exec(s);
      if (!m) throw new Error(`not a SET statement: ${s}`);
      return [m[1], m[2]] as const;
    });
    expect(expected.map(([name]) => name)).toEqual(["hnsw.ef_search", "hnsw.iterative_scan"]);
    const show = () =>
      onConnectionsAtOnce(settings.poolSize, async (tx) => {
        // Using a vector loads pgvector into the backend: the values set
        // before it was loaded must survive its real parameters appearing.
        await tx.query("SELECT '[1,2,3]'::vector <=> '[3,2,1]'::vector");
        const pid = (await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
        const values: Record<string, string> = {};
        for (const [name] of expected) values[name] = Object.values((await tx.query(`SHOW ${name}`)).rows[0])[0] as string;
        return { pid, values };
      });
    const first = await show();
    expect(new Set(first.map((c) => c.pid)).size).toBe(settings.poolSize);
    for (const c of first) expect(c.values).toEqual(Object.fromEntries(expected));

    // The server ends every pooled connection; the pool opens new ones, which get the settings too.
    await admin.query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [first.map((c) => c.pid)]);
    await expect.poll(async () => (await db.query<{ ok: number }>("SELECT 1 AS ok").catch(() => ({ rows: [] }))).rows.length, { timeout: 5000 }).toBe(1);
    const again = await show();
    expect(new Set(again.map((c) => c.pid)).size).toBe(settings.poolSize);
    for (const c of again) {
      expect(first.map((f) => f.pid)).not.toContain(c.pid);
      expect(c.values).toEqual(Object.fromEntries(expected));
    }
  });

  it("a transaction runs on one connection, is invisible until it commits, and rolls back when it throws", async () => {
    await db.query("CREATE TABLE tx_probe (x integer PRIMARY KEY)");
    const count = async () => (await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM tx_probe")).rows[0].n;

    let seenOutside = -1;
    await db.transaction(async (tx) => {
      await tx.query("INSERT INTO tx_probe VALUES (1), (2)");
      // Another pooled connection and another session do not see it yet.
      seenOutside = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM tx_probe")).rows[0].n;
      expect(await count()).toBe(0);
      expect((await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM tx_probe")).rows[0].n).toBe(2);
    });
    expect(seenOutside).toBe(0);
    expect(await count()).toBe(2);

    // A thrown error rolls everything back.
    await expect(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO tx_probe VALUES (3), (4)");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    // A failing statement rolls back the statements before it, with its own error.
    await expect(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO tx_probe VALUES (5)");
        await tx.query("INSERT INTO tx_probe VALUES (1)");
      }),
    ).rejects.toMatchObject({ code: "23505" });
    expect(await count()).toBe(2);

    // No connection went back to the pool inside a transaction: all of them at once commit normally.
    const states = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
    );
    expect(states.rows[0].n).toBe(0);
    await onConnectionsAtOnce(settings.poolSize, async (tx) => {
      await tx.query("INSERT INTO tx_probe SELECT coalesce(max(x), 0) + 1 + pg_backend_pid() FROM tx_probe");
    });
    expect(await count()).toBe(2 + settings.poolSize);
  });

  it("a connection lost inside a transaction fails that transaction, not the process, and is not pooled again", async () => {
    // Ended by the server between two statements (a restart, a terminated
    // backend, idle_in_transaction_session_timeout): without a listener the
    // client's error event would be an uncaught exception.
    let lostPid = 0;
    await expect(
      db.transaction(async (tx) => {
        lostPid = (await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
        await admin.query("SELECT pg_terminate_backend($1)", [lostPid]);
        await new Promise((r) => setTimeout(r, 200));
        await tx.query("SELECT 1");
      }),
    ).rejects.toThrow();
    const after = await onConnectionsAtOnce(settings.poolSize, async (tx) => (await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid);
    expect(after).not.toContain(lostPid);
  });

  it("two aidb processes starting on one empty database migrate it together: each migration once, the schema complete", async () => {
    // No vector extension either: migration 1 creates it, as on a new deployment.
    const fresh = await cluster.createDatabase(undefined, { vector: false });
    const gate = new pg.Client({ connectionString: fresh });
    gate.on("error", () => {}); // ended by the cluster's stop if the test fails
    await gate.connect();
    // Both processes are held at their first migration step (the advisory
    // lock, or creating schema_migrations, which this open transaction has
    // also begun to create) until both wait; then they race for real.
    await gate.query("BEGIN");
    await gate.query("SELECT pg_advisory_xact_lock(4242001)");
    await gate.query("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    const start = () => {
      const p = spawnAq(["serve", "aidb", "--database-url", fresh, "--embed-model", inject("models").embed, "--port", "0"], { AI_STACK_CONFIG: "" });
      procs.push(p);
      return p;
    };
    const a = start();
    const b = start();
    try {
      await expect
        .poll(
          async () => {
            for (const p of [a, b]) if (p.child.exitCode !== null) throw new Error(`aq exited with ${p.child.exitCode}: ${p.stderr()}`);
            // Asked from another session: inside the gate's transaction the statistics views are a snapshot.
            const waiting = await admin.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
              [new URL(fresh).pathname.slice(1)],
            );
            return waiting.rows[0].n;
          },
          { timeout: 60_000, interval: 50 },
        )
        .toBe(2);
    } finally {
      await gate.query("ROLLBACK");
    }
    const exitedEarly = (p: AqProcess) => p.exited.then((code) => Promise.reject(new Error(`aq exited with ${code}: ${p.stderr()}`)));
    const ports = await Promise.all([a, b].map((p) => Promise.race([listeningPort(p, 60_000), exitedEarly(p)])));
    for (const port of ports) {
      const r = await fetch(`http://127.0.0.1:${port}/status`);
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ schema_version: latestVersion });
    }

    const q = <R extends pg.QueryResultRow>(sql: string) => gate.query<R>(sql).then((r) => r.rows);
    expect(await q("SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version")).toEqual(
      migrations.map((m) => ({ version: m.version, n: 1 })),
    );
    // Each migration was applied by exactly one of the two.
    const applied = [a, b].flatMap((p) =>
      p
        .stdout()
        .split("\n")
        .filter((l) => l.includes('"event":"migrated"'))
        .flatMap((l) => (JSON.parse(l) as { applied?: number[] }).applied ?? []),
    );
    expect(applied.sort()).toEqual(migrations.map((m) => m.version));

    const tables = (await q<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'")).map((r) => r.t);
    expect(tables).toEqual(
      expect.arrayContaining(["aidb_meta", "documents", "chunks", "feedback", "fusion_weights", "interactions", "interaction_feedback", "query_gaps"]),
    );
    const indexes = await q<{ name: string; def: string; options: string[] | null }>(
      `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def, i.reloptions AS options
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = 'chunks'::regclass`,
    );
    const byName = Object.fromEntries(indexes.map((i) => [i.name, i]));
    expect(byName.chunks_embedding_idx.def).toContain("USING hnsw (embedding vector_cosine_ops)");
    expect(byName.chunks_tsv_idx.def).toContain("USING gin (tsv)");
    expect(byName.chunks_tsv_idx.options).toEqual(["fastupdate=off"]);
    expect(await q("SELECT extname FROM pg_extension WHERE extname = 'vector'")).toHaveLength(1);
    expect(await q("SELECT version, vector, keyword FROM fusion_weights")).toEqual([{ version: 1, vector: 0.6, keyword: 0.4 }]);

    for (const p of [a, b]) p.child.kill("SIGTERM");
    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
    await gate.end();
  });
});
