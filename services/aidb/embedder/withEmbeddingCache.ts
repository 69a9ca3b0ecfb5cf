import type { EmbeddingCache } from "../embeddingCache/EmbeddingCache.js";
import type { Embedder } from "./Embedder.js";

/**
 * Looks every text up in the embedding cache first and embeds only the
 * misses (each distinct text once), then stores them. The cache degrades by
 * itself when Redis is down, so a cache failure never fails an embedding.
 */
export function withEmbeddingCache(inner: Embedder, cache: EmbeddingCache): Embedder {
  return {
    ...inner,
    countTokens: (text) => inner.countTokens(text),
    check: () => inner.check(),
    embed: async (texts) => {
      const cached = await cache.getMany(texts);
      const missing = [...new Set(texts.filter((_, i) => cached[i] === undefined))];
      if (missing.length === 0) return cached as number[][];
      const vectors = await inner.embed(missing);
      const fresh = new Map(missing.map((t, i) => [t, vectors[i]]));
      await cache.setMany([...fresh.entries()]);
      return texts.map((t, i) => cached[i] ?? fresh.get(t)!);
    },
    close: async () => {
      await inner.close();
      await cache.close();
    },
  };
}
