/** The embedding model a cached vector came from. */
export interface EmbeddingFingerprint {
  /** Model name, e.g. "nomic-embed-text-v1.5". */
  name: string;
  /** sha256 of the model file (or another stable identity of the model). */
  sha256: string;
  /** Vector length. */
  dimensions: number;
}

export interface EmbeddingCacheStatus {
  backend: "redis" | "memory";
  /** The cache works as intended right now. */
  ok: boolean;
  /** Requests go on without the cache (Redis unreachable). */
  degraded: boolean;
  /** Why it is degraded, when it is. */
  detail?: string;
}

/**
 * A cache of embedding vectors keyed on the text, the model fingerprint and
 * the cache epoch. It never throws on a backend failure: lookups become
 * misses and stores are skipped.
 */
export interface EmbeddingCache {
  /** One entry per text, in order: the cached vector or undefined. */
  getMany(texts: string[]): Promise<(number[] | undefined)[]>;
  setMany(entries: Array<[string, number[]]>): Promise<void>;
  status(): EmbeddingCacheStatus;
  close(): Promise<void>;
}
