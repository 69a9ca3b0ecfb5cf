import type { Db, Queryable } from "./Db.js";
import { EmbeddingMismatchError } from "./EmbeddingMismatchError.js";
import { migrations } from "./migrations.js";

/** Held for each migration step (transaction-scoped); the coordinator's tables use 4242002. */
const lock = (tx: Queryable) => tx.query("SELECT pg_advisory_xact_lock(4242001)");

export interface MigrateResult {
  /** Versions applied by this call, in order. */
  applied: number[];
  version: number;
  /** The embedding size the chunks table holds. */
  dimensions: number;
}

/**
 * Brings the schema up to date (or up to `upTo`), one transaction per
 * migration, recorded in `schema_migrations`; running it again changes
 * nothing. An advisory lock keeps two starting processes from racing.
 * Refuses (EmbeddingMismatchError, exit 2) a database whose embeddings have
 * another size than `dimensions`.
 */
export async function migrate(db: Db, opts: { dimensions: number; upTo?: number }): Promise<MigrateResult> {
  // Under the lock too: two processes creating the table at once would
  // collide in the catalog (IF NOT EXISTS does not cover a concurrent
  // creation: "duplicate key value violates pg_type_typname_nsp_index").
  await db.transaction(async (tx) => {
    await lock(tx);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  });
  const applied: number[] = [];
  for (const m of migrations) {
    if (opts.upTo !== undefined && m.version > opts.upTo) break;
    const done = await db.transaction(async (tx) => {
      await lock(tx);
      const seen = await tx.query("SELECT 1 FROM schema_migrations WHERE version = $1", [m.version]);
      if (seen.rows.length > 0) return false;
      if (m.version > 1) await assertDimensions(tx, opts.dimensions);
      for (const statement of splitStatements(m.sql({ dimensions: opts.dimensions }))) await tx.query(statement);
      await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  const dimensions = await assertDimensions(db, opts.dimensions);
  const v = await db.query<{ v: number }>("SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations");
  return { applied, version: v.rows[0].v, dimensions };
}

/** The embedding size of the chunks table, from its column type. */
export async function storedDimensions(db: Pick<Db, "query">): Promise<number | undefined> {
  const r = await db.query<{ dims: number }>(
    `SELECT atttypmod AS dims FROM pg_attribute
     WHERE attrelid = to_regclass('chunks') AND attname = 'embedding' AND NOT attisdropped`,
  );
  return r.rows[0]?.dims;
}

async function assertDimensions(db: Pick<Db, "query">, dimensions: number): Promise<number> {
  const stored = await storedDimensions(db);
  if (stored !== undefined && stored !== dimensions) {
    throw new EmbeddingMismatchError(
      `the database holds ${stored}-dimensional embeddings but the embedding model gives ${dimensions}; ` +
        `use the embedding model the store was built with, or a new data directory / database`,
    );
  }
  return stored ?? dimensions;
}

/** Splits a migration on top-level semicolons (our migrations hold no functions or quoted semicolons). */
function splitStatements(sql: string): string[] {
  return sql
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean);
}
