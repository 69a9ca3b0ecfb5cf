import type { Db, Queryable } from "../../aidb/db/Db.js";
import { coordinatorMigrationLockKey, coordinatorMigrations } from "./coordinatorMigrations.js";

export interface CoordinatorMigrateResult {
  /** Versions applied by this call, in order. */
  applied: number[];
  /** The version the database is at now. */
  version: number;
}

const createTrackingTable = `CREATE TABLE IF NOT EXISTS coordinator_schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

const lock = (tx: Queryable) => tx.query("SELECT pg_advisory_xact_lock($1)", [coordinatorMigrationLockKey]);

/**
 * Brings the coordinator's tables up to date (or up to `upTo`): one
 * transaction per migration, each under a transaction-scoped advisory lock
 * (key 4242002, not aidb's), recorded in `coordinator_schema_migrations`.
 * Running it again changes nothing; two processes starting together apply
 * each migration once.
 */
export async function migrateCoordinator(db: Db, opts: { upTo?: number } = {}): Promise<CoordinatorMigrateResult> {
  await db.transaction(async (tx) => {
    await lock(tx);
    await tx.query(createTrackingTable);
  });
  const applied: number[] = [];
  for (const m of coordinatorMigrations) {
    if (opts.upTo !== undefined && m.version > opts.upTo) break;
    const done = await db.transaction(async (tx) => {
      await lock(tx);
      const seen = await tx.query("SELECT 1 FROM coordinator_schema_migrations WHERE version = $1", [m.version]);
      if (seen.rows.length > 0) return false;
      for (const statement of m.statements) await tx.query(statement);
      await tx.query("INSERT INTO coordinator_schema_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  const v = await db.query<{ v: number }>("SELECT coalesce(max(version), 0)::int AS v FROM coordinator_schema_migrations");
  return { applied, version: v.rows[0].v };
}
