export type InteractionStatus = "ok" | "error" | "aborted";

/** One answered (or failed) query, as the coordinator hands it to the store. */
export interface InteractionRecord {
  /**
   * The id to store it under (a uuid the coordinator made, so it can answer
   * with the id before the row is written); generated when absent.
   */
  id?: string;
  /** The project searched; null or absent for all projects. */
  project?: string | null;
  /** The query as received; secrets are redacted before it is stored. */
  queryText: string;
  /** The backend that answered (or would have): "local", "remote", "cache", ... */
  backend: string;
  /** Why that backend was chosen (BackendDecision.reason). */
  reason: string;
  fallbackReason?: string | null;
  routingOverride?: string | null;
  localConfidenceScore?: number | null;
  threshold?: number | null;
  /** The best retrieval score among the documents found. */
  bestScore?: number | null;
  cacheHit?: boolean;
  /** An A/B variant name, when one applies. */
  variant?: string | null;
  /**
   * Stage durations in milliseconds, e.g. { retrieve_ms: 12, generate_ms: 840, total_ms: 870 }
   * (typed `object` so an interface such as the pipeline's Timings fits), stored as jsonb.
   */
  timings?: object;
  /** The aidb document ids whose passages went into the prompt. */
  documentIds?: readonly string[];
  /** What the answer cites (titles, sources, scores); strings in it are redacted. */
  sources?: readonly object[];
  /** Length of the answer in characters. */
  responseChars?: number;
  /** "ok" unless the query failed or the client went away; defaults to "error" when `error` is given. */
  status?: InteractionStatus;
  /** The failure's message (redacted). */
  error?: string | null;
}

export interface StoredFeedback {
  rating: 1 | -1;
  note: string | null;
  /** ISO 8601. */
  created_at: string;
}

/** An interaction as stored, with its feedback (oldest first). */
export interface StoredInteraction {
  id: string;
  /** ISO 8601. */
  created_at: string;
  project: string | null;
  /** Redacted. */
  query_text: string;
  query_hash: string;
  backend: string;
  reason: string;
  fallback_reason: string | null;
  routing_override: string | null;
  local_confidence_score: number | null;
  threshold: number | null;
  best_score: number | null;
  cache_hit: boolean;
  variant: string | null;
  timings: Record<string, number>;
  document_ids: string[];
  sources: Array<Record<string, unknown>>;
  response_chars: number;
  status: InteractionStatus;
  error: string | null;
  feedback: StoredFeedback[];
}

/** A knowledge gap: one query (by hash) that retrieval answered poorly, with how often. */
export interface GapSummary {
  /** The most recent wording seen for this hash (redacted). */
  query_text: string;
  query_text_hash: string;
  /** Times recorded in the window. */
  count: number;
  /** The highest best-retrieval score seen for it in the window. */
  best_score: number;
  /** ISO 8601. */
  last_seen: string;
  /** The collection (project) searched most recently; "*" for all projects. */
  collection_searched: string;
}
