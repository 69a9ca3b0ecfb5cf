import type { Db } from "./Db.js";
import { openPg } from "./openPg.js";
import { openPglite } from "./openPglite.js";

/** Per-session settings: HNSW search breadth, and iterative scans so filtered vector searches still fill their limit. */
export function sessionStatements(efSearch: number): string[] {
  return [`SET hnsw.ef_search = ${Math.trunc(efSearch)}`, "SET hnsw.iterative_scan = relaxed_order"];
}

/** The configured driver: `pg` for a database URL, PGlite for a data directory (or memory). */
export async function openDb(opts: { databaseUrl?: string; dataDir?: string; poolSize?: number; efSearch: number }): Promise<Db> {
  if (opts.databaseUrl) return openPg({ url: opts.databaseUrl, max: opts.poolSize, sessionSql: sessionStatements(opts.efSearch).join("; ") });
  return openPglite({ dataDir: opts.dataDir });
}
