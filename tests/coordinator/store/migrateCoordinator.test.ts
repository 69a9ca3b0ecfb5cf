import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../services/aidb/db/Db.js";
import { migrate } from "../../../services/aidb/db/migrate.js";
import { coordinatorLatestVersion, coordinatorMigrations } from "../../../services/coordinator/store/coordinatorMigrations.js";
import { migrateCoordinator } from "../../../services/coordinator/store/migrateCoordinator.js";
import { drivers, type TestDb } from "../../aidb/helpers/testDb.js";

const tables = async (db: Db) =>
  (
    await db.query<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    )
  ).rows.map((r) => r.t);

describe.each(drivers)("migrateCoordinator on the %s driver", (_name, open) => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await open();
    db = t.db;
  });
  afterAll(async () => t?.close());

  it("applies nothing with upTo 0 but creates its own tracking table", async () => {
    expect(await migrateCoordinator(db, { upTo: 0 })).toEqual({ applied: [], version: 0 });
    expect(await tables(db)).toContain("coordinator_schema_migrations");
    expect(await tables(db)).not.toContain("interactions");
  });

  it("creates its tables next to aidb's, in its own migrations table, and is idempotent", async () => {
    await migrate(db, { dimensions: 8 });
    const aidbVersions = (await db.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version")).rows;

    const first = await migrateCoordinator(db);
    expect(first).toEqual({ applied: coordinatorMigrations.map((m) => m.version), version: coordinatorLatestVersion });
    expect(await tables(db)).toEqual(expect.arrayContaining(["interactions", "interaction_feedback", "query_gaps", "documents"]));

    const again = await migrateCoordinator(db);
    expect(again).toEqual({ applied: [], version: coordinatorLatestVersion });

    // aidb's bookkeeping is untouched and aidb's migrate still sees nothing to do.
    expect((await db.query("SELECT version FROM schema_migrations ORDER BY version")).rows).toEqual(aidbVersions);
    expect((await migrate(db, { dimensions: 8 })).applied).toEqual([]);
    const own = await db.query<{ version: number; name: string }>("SELECT version, name FROM coordinator_schema_migrations ORDER BY version");
    expect(own.rows).toEqual(coordinatorMigrations.map((m) => ({ version: m.version, name: m.name })));
  });

  it("two concurrent runs apply each migration once", async () => {
    const [a, b] = await Promise.all([migrateCoordinator(db), migrateCoordinator(db)]);
    expect([...a.applied, ...b.applied]).toEqual([]);
    expect(a.version).toBe(coordinatorLatestVersion);
  });

  it("gen_random_uuid gives interactions their ids", async () => {
    const r = await db.query<{ id: string }>(
      "INSERT INTO interactions (query_text, query_hash, backend, reason) VALUES ('q', 'h', 'local', 'test') RETURNING id",
    );
    expect(r.rows[0].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe.each(drivers)("migrateCoordinator on a fresh %s database", (_name, open) => {
  it("applies every migration at once, concurrent callers included", async () => {
    const t = await open();
    try {
      const results = await Promise.all([migrateCoordinator(t.db), migrateCoordinator(t.db)]);
      expect(results.flatMap((r) => r.applied).sort()).toEqual(coordinatorMigrations.map((m) => m.version));
      expect(results.map((r) => r.version)).toEqual([coordinatorLatestVersion, coordinatorLatestVersion]);
    } finally {
      await t.close();
    }
  });
});
