/** One SQL statement's result rows. */
export interface QueryResult<R> {
  rows: R[];
}

/** What a statement runs against: the database itself or an open transaction. */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
}

/**
 * The small SQL interface every aidb repository is written against. Two
 * drivers implement it: PGlite (embedded, `openPglite`) and `pg` (a real
 * PostgreSQL with pgvector, `openPg`). Vectors travel as `real[]` parameters
 * and are cast to `vector` by the server.
 */
export interface Db extends Queryable {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  readonly driver: "pglite" | "pg";
  close(): Promise<void>;
}
