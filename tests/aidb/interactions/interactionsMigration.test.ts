import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../services/aidb/db/Db.js";
import { migrate } from "../../../services/aidb/db/migrate.js";
import { latestVersion, migrations } from "../../../services/aidb/db/migrations.js";
import { drivers, type TestDb } from "../helpers/testDb.js";

// aidb owns the interactions tables (migration 4). Before, the coordinator
// migrated the same tables itself, tracked in coordinator_schema_migrations;
// a database it set up must upgrade without losing a row.
const tables = async (db: Db) =>
  (await db.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")).rows.map((r) => r.t);

const interactionsMigration = migrations.find((m) => m.name.startsWith("interactions"))!;

/** The tables as the coordinator's own runner created them: the same definitions, without IF NOT EXISTS, and its tracking table. */
async function setUpAsTheOldCoordinatorDid(db: Db): Promise<void> {
  const statements = interactionsMigration
    .sql({ dimensions: 8 })
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith("DROP"))
    .map((s) => s.replace(/ IF NOT EXISTS/g, ""));
  for (const s of statements) await db.query(s);
  await db.query("CREATE TABLE coordinator_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
  await db.query("INSERT INTO coordinator_schema_migrations (version, name) VALUES (1, 'interactions, interaction feedback, query gaps')");
}

describe.each(drivers)("the interactions tables on the %s driver", (_name, open) => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await open();
    db = t.db;
  });
  afterAll(async () => t?.close());

  it("a database the coordinator migrated itself upgrades to aidb's migration 4 with its rows kept and its tracking table gone", async () => {
    expect(interactionsMigration.version).toBe(4);
    await migrate(db, { dimensions: 8, upTo: 3 });
    await setUpAsTheOldCoordinatorDid(db);
    const old = await db.query<{ id: string }>("INSERT INTO interactions (query_text, query_hash, backend, reason) VALUES ('kept', 'h', 'local', 'test') RETURNING id");
    await db.query("INSERT INTO interaction_feedback (interaction_id, rating, note) VALUES ($1, 1, 'useful')", [old.rows[0].id]);
    await db.query("INSERT INTO query_gaps (query_text_hash, query_text, score, collection_searched, interaction_id) VALUES ('h', 'kept', 0.1, '*', $1)", [old.rows[0].id]);

    const upgraded = await migrate(db, { dimensions: 8 });
    // Migration 4 and every later one.
    expect(upgraded.applied).toEqual(migrations.filter((m) => m.version >= 4).map((m) => m.version));
    expect(upgraded.version).toBe(latestVersion);
    expect(await tables(db)).not.toContain("coordinator_schema_migrations");
    expect((await db.query("SELECT query_text FROM interactions")).rows).toEqual([{ query_text: "kept" }]);
    expect((await db.query("SELECT note FROM interaction_feedback")).rows).toEqual([{ note: "useful" }]);
    expect((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM query_gaps")).rows[0].n).toBe(1);
    expect((await migrate(db, { dimensions: 8 })).applied).toEqual([]);
  });

  it("a fresh database gets the tables from aidb's migrations alone, with ids from gen_random_uuid", async () => {
    const fresh = await open();
    try {
      const r = await migrate(fresh.db, { dimensions: 8 });
      expect(r.applied).toEqual(migrations.map((m) => m.version));
      expect(await tables(fresh.db)).toEqual(expect.arrayContaining(["interactions", "interaction_feedback", "query_gaps", "documents", "chunks"]));
      const row = await fresh.db.query<{ id: string }>("INSERT INTO interactions (query_text, query_hash, backend, reason) VALUES ('q', 'h', 'local', 'test') RETURNING id");
      expect(row.rows[0].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    } finally {
      await fresh.close();
    }
  });
});
