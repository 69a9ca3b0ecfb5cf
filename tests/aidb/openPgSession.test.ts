import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../services/aidb/db/Db.js";
import { openDb, sessionStatements } from "../../services/aidb/db/openDb.js";
import { openPg } from "../../services/aidb/db/openPg.js";
import { postgresMissing, startPostgres, type PostgresCluster } from "../helpers/startPostgres.js";
import { freshDataDir, removeDataDir } from "./helpers/testDb.js";

// Every pooled connection of the `pg` driver carries the session settings
// (hnsw.ef_search, hnsw.iterative_scan) before it runs anything, and never
// runs a query without them.

type Settings = { ef: string; scan: string; pid: number };
const settingsSql = "SELECT current_setting('hnsw.ef_search') AS ef, current_setting('hnsw.iterative_scan') AS scan, pg_backend_pid() AS pid";

describe("openPg session settings, through pglite-socket", () => {
  let pg: PGlite;
  let server: PGLiteSocketServer;
  let dataDir: string;
  let url: string;
  beforeAll(async () => {
    dataDir = await freshDataDir();
    pg = await PGlite.create({ dataDir, extensions: { vector } });
    server = new PGLiteSocketServer({ db: pg, host: "127.0.0.1", port: 0 });
    await server.start();
    url = `postgres://postgres@${server.getServerConn()}/postgres`;
  });
  afterAll(async () => {
    await server?.stop();
    await pg?.close();
    if (dataDir) removeDataDir(dataDir);
  });

  it("a connection whose session settings fail runs no query: the query gets the error", async () => {
    const db = await openPg({ url, max: 1, sessionSql: "SET no_such_setting = 1" });
    try {
      await expect(db.query("SELECT 1 AS one")).rejects.toThrow(/no_such_setting/);
      await expect(db.transaction((tx) => tx.query("SELECT 1 AS one"))).rejects.toThrow(/no_such_setting/);
    } finally {
      await db.close();
    }
  });

  it("the first query on a new connection already sees the settings", async () => {
    const db = await openPg({ url, max: 1, sessionSql: sessionStatements(23).join("; ") });
    try {
      const r = await db.query<Settings>(settingsSql);
      expect(r.rows[0]).toMatchObject({ ef: "23", scan: "relaxed_order" });
    } finally {
      await db.close();
    }
  });
});

describe.skipIf(postgresMissing !== null)("openPg session settings on PostgreSQL 15, several connections", () => {
  let cluster: PostgresCluster;
  let db: Db;
  beforeAll(async () => {
    cluster = await startPostgres();
    db = await openDb({ databaseUrl: await cluster.createDatabase(), poolSize: 4, efSearch: 37 });
  });
  afterAll(async () => {
    await db?.close();
    await cluster?.stop();
  });

  it("concurrent queries on freshly opened connections all see them, in queries and transactions", async () => {
    const rows = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const r = i % 2 ? await db.query<Settings>(settingsSql) : await db.transaction((tx) => tx.query<Settings>(settingsSql));
        // Hold the connection a moment so that the pool opens more of them.
        await db.query("SELECT pg_sleep(0.02)");
        return r.rows[0];
      }),
    );
    expect(new Set(rows.map((r) => r.pid)).size).toBeGreaterThan(1);
    for (const r of rows) expect(r).toMatchObject({ ef: "37", scan: "relaxed_order" });
  });

  it("connections opened to replace killed ones get them too", async () => {
    const admin = await openPg({ url: cluster.url, max: 1 });
    try {
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
    } finally {
      await admin.close();
    }
    // The idle connections are dead now; queries fail until the pool has replaced them.
    const seen: Settings[] = [];
    for (let i = 0; i < 20 && seen.length < 8; i++) {
      const got = await Promise.allSettled(Array.from({ length: 4 }, () => db.query<Settings>(settingsSql)));
      for (const g of got) if (g.status === "fulfilled") seen.push(g.value.rows[0]);
    }
    expect(seen.length).toBeGreaterThanOrEqual(8);
    for (const r of seen) expect(r).toMatchObject({ ef: "37", scan: "relaxed_order" });
  });
});
