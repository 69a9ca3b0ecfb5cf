/** The A/B variant of a request; part of the cache key. */
export type Variant = "A" | "B";

/** What the cache keeps for a query: any JSON-serialisable object (the answer and its metadata). */
export type CachedAnswer = Record<string, unknown>;

/**
 * The version stamps read at lookup time (corpus of the project, or of all
 * projects, and fusion weights). Pass them back to `store` so an answer
 * computed before an ingest is kept under the stamps it was computed with,
 * which the ingest has made unreachable.
 */
export interface CacheStamps {
  readonly corpus: string;
  readonly fusion: string;
}

export interface LookupRequest {
  /** Absent: a query over all projects (scope "*"). */
  project?: string;
  /** Separates answers of different endpoints (default "query"); 1-32 of a-z 0-9 _ -. */
  namespace?: string;
  variant: Variant;
  /**
   * The local chat model's identity (its sha256 or file name); part of the
   * scope, so answers from another model are not found. Absent: unknown
   * (the local model did not say), a scope of its own.
   */
  model?: string;
  /** A hash of the normalised query (e.g. sha256 hex); other strings are hashed again. */
  queryHash: string;
  /**
   * Embeds the query; called only after an exact miss, with Redis reachable.
   * Absent: an exact lookup only (no similarity search).
   */
  embed?: () => Promise<number[]>;
}

export type LookupResult =
  | { hit: true; entry: CachedAnswer; similarity: number; kind: "exact" | "semantic" }
  | {
      hit: false;
      /** `disabled`, `redis_unavailable: ...`, `error: ...`, `miss`, `below_threshold`, `embed_failed: ...` */
      reason: string;
      /** The stamps read by this lookup, when Redis answered; give them to `store`. */
      stamps?: CacheStamps;
    };

export interface StoreRequest {
  project?: string;
  namespace?: string;
  variant: Variant;
  /** The chat model identity the lookup used (LookupRequest.model). */
  model?: string;
  queryHash: string;
  /** The query's embedding; default: the one the lookup computed. Without either, only exact hits find the entry. */
  embedding?: number[];
  entry: CachedAnswer;
  /**
   * The stamps from the lookup's miss. Default: those remembered from the
   * last lookup of the same (variant, project, queryHash) in this process;
   * when there is none (or concurrent lookups saw different stamps) nothing
   * is stored, because the stamps the answer was computed under are unknown.
   */
  stamps?: CacheStamps;
}

export interface SemanticCacheStatus {
  /** A Redis URL is configured. */
  enabled: boolean;
  /** Nothing is wrong: Redis answers, or the cache is disabled by configuration. */
  healthy: boolean;
  /** Why the cache is disabled or degraded. */
  reason?: string;
}

/**
 * The coordinator's semantic cache. A lookup never throws and never waits
 * on an unreachable Redis: every failure is a miss with a reason.
 */
export interface SemanticCache {
  lookup(q: LookupRequest): Promise<LookupResult>;
  store(q: StoreRequest): Promise<void>;
  status(): SemanticCacheStatus;
  close(): Promise<void>;
}
