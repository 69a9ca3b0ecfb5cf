import type { EmbeddingCache } from "./EmbeddingCache.js";
import type { EmbeddingCacheMetrics } from "./embeddingCacheMetrics.js";
import { embeddingKey } from "./embeddingCacheKeys.js";

/**
 * In-process LRU with the same keys as the Redis cache (model tag and epoch
 * in the key) and the same float32 precision, so results do not depend on
 * the backend.
 */
export function createMemoryEmbeddingCache(opts: {
  prefix: string;
  dimensions: number;
  maxEntries: number;
  metrics: EmbeddingCacheMetrics;
}): EmbeddingCache {
  // Map keeps insertion order: the first key is the least recently used.
  const entries = new Map<string, Float32Array>();
  return {
    async getMany(texts) {
      let hits = 0;
      const out = texts.map((text) => {
        const key = embeddingKey(opts.prefix, text);
        const v = entries.get(key);
        if (!v) return undefined;
        entries.delete(key);
        entries.set(key, v);
        hits += 1;
        return Array.from(v);
      });
      if (hits) opts.metrics.hits.inc(hits);
      if (texts.length - hits) opts.metrics.misses.inc(texts.length - hits);
      return out;
    },
    async setMany(list) {
      for (const [text, vector] of list) {
        if (vector.length !== opts.dimensions) continue;
        const key = embeddingKey(opts.prefix, text);
        entries.delete(key);
        entries.set(key, Float32Array.from(vector));
      }
      while (entries.size > opts.maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
    },
    status: () => ({ backend: "memory", ok: true, degraded: false }),
    async close() {
      entries.clear();
    },
  };
}
