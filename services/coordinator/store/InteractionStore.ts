import type { GapInput, GapSummary, InteractionRecord, StoredInteraction } from "../../aidb/api/interactionsContract.js";

/**
 * Where the coordinator keeps interactions, feedback and gaps: aidb's
 * database, through aidb's /interactions API (aidb owns the tables, their
 * migrations and their routes; the coordinator has no database of its own).
 */
export interface InteractionStore {
  readonly kind: "aidb";
  /** Queues an interaction (and its gap); resolves once it is stored. Writes are batched. */
  record(interaction: InteractionRecord, gap?: GapInput): Promise<void>;
  get(id: string): Promise<StoredInteraction | undefined>;
  /** undefined: no such interaction. */
  addFeedback(id: string, rating: 1 | -1, note?: string): Promise<{ documentIds: string[] } | undefined>;
  topGaps(opts: { days: number; limit: number }): Promise<GapSummary[]>;
  /** `SELECT 1` on the database; resolves with its latency in ms. */
  ping(timeoutMs?: number): Promise<number>;
  /** Writes what is queued, then releases the store. */
  close(): Promise<void>;
}
