import type { GapSummary, InteractionRecord, StoredInteraction } from "./interactionStoreTypes.js";

/** A weak-retrieval question, recorded with its interaction. */
export interface GapInput {
  queryText: string;
  score: number;
  /** The project searched, or "*" for all projects. */
  collectionSearched: string;
}

/**
 * Where the coordinator keeps interactions, feedback and gaps: PostgreSQL
 * through aidb's SQL layer, reached either through aidb's HTTP API (the
 * default: one database for the stack, and no database engine inside the
 * coordinator) or directly with `databaseUrl`.
 */
export interface InteractionStore {
  readonly kind: "aidb" | "postgres";
  /** Queues an interaction (and its gap); resolves once it is stored. Writes are batched. */
  record(interaction: InteractionRecord & { id: string }, gap?: GapInput): Promise<void>;
  get(id: string): Promise<StoredInteraction | undefined>;
  /** undefined: no such interaction. */
  addFeedback(id: string, rating: 1 | -1, note?: string): Promise<{ documentIds: string[] } | undefined>;
  topGaps(opts: { days: number; limit: number }): Promise<GapSummary[]>;
  /** `SELECT 1` on the database; resolves with its latency in ms. */
  ping(timeoutMs?: number): Promise<number>;
  /** Writes what is queued, then releases the store. */
  close(): Promise<void>;
}
