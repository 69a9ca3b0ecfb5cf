import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import type { Db, Queryable } from "./Db.js";

/**
 * The embedded driver: PGlite (PostgreSQL compiled to WASM) with pgvector.
 * With `dataDir` everything persists there (reopening takes under a second;
 * a fresh directory runs initdb, a few seconds); without it the database
 * lives in memory.
 */
export async function openPglite(opts: { dataDir?: string } = {}): Promise<Db> {
  const pg = await PGlite.create({ dataDir: opts.dataDir, extensions: { vector } });
  return wrapPglite(pg);
}

/** Adapts an open PGlite instance (tests pass clones) to the Db interface. */
export function wrapPglite(pg: PGlite): Db {
  const asQueryable = (q: Pick<PGlite, "query">): Queryable => ({
    query: async (sql, params) => {
      const r = await q.query(sql, params ?? []);
      return { rows: r.rows as never[] };
    },
  });
  const base = asQueryable(pg);
  return {
    driver: "pglite",
    query: base.query,
    transaction: (fn) => pg.transaction((tx) => fn(asQueryable(tx))),
    close: () => pg.close(),
  };
}
