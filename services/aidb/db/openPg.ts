import pg from "pg";
import type { Db, Queryable } from "./Db.js";

/**
 * The production driver: a `pg` pool against PostgreSQL with pgvector.
 * Every connection gets the session settings (HNSW search breadth) when it
 * is opened.
 */
export async function openPg(opts: { url: string; max?: number; sessionSql?: string }): Promise<Db> {
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.max ?? 4 });
  pool.on("error", () => {
    // An idle client lost its connection; the pool replaces it on next use
    // and the query that needs it reports the failure.
  });
  if (opts.sessionSql) {
    const sessionSql = opts.sessionSql;
    pool.on("connect", (client) => {
      client.query(sessionSql).catch(() => {});
    });
  }
  const asQueryable = (q: Pick<pg.PoolClient, "query">): Queryable => ({
    query: async (sql, params) => {
      const r = await q.query(sql, params ?? []);
      return { rows: r.rows };
    },
  });
  return {
    driver: "pg",
    query: asQueryable(pool).query,
    transaction: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn(asQueryable(client));
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
