import pg from "pg";
import type { Db, Queryable } from "./Db.js";

/**
 * The production driver: a `pg` pool against PostgreSQL with pgvector.
 * Every connection gets the session settings (HNSW search breadth) when it
 * is opened, before the pool hands it to any query: the pool awaits them
 * (its `onConnect` hook), and a connection whose settings fail is closed
 * and the failure goes to the query that asked for it, rather than that
 * query running without them.
 */
export async function openPg(opts: { url: string; max?: number; sessionSql?: string }): Promise<Db> {
  const sessionSql = opts.sessionSql;
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 4,
    onConnect: sessionSql
      ? async (client) => {
          await client.query(sessionSql);
        }
      : undefined,
  });
  pool.on("error", () => {
    // An idle client lost its connection; the pool replaces it on next use
    // and the query that needs it reports the failure.
  });
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
      // A checked-out client has no error listener of the pool's: a
      // connection lost between two statements (server restart, terminated
      // backend, idle_in_transaction_session_timeout) would be an uncaught
      // exception that ends the process. Listen here; the next statement
      // fails instead, and the connection is discarded, not pooled again.
      let broken: Error | undefined;
      const onError = (err: Error) => (broken ??= err);
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await fn(asQueryable(client));
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch((rollbackErr: Error) => (broken ??= rollbackErr));
        throw err;
      } finally {
        client.removeListener("error", onError);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
