import { createInferenceClient } from "../../inference/api/createInferenceClient.js";
import { ServiceError } from "../../shared/http/ServiceError.js";

export interface QueryEmbedder {
  embed(text: string, signal?: AbortSignal): Promise<number[]>;
}

/**
 * Embeds queries through the inference service's /v1/embeddings for the
 * semantic cache, remembering the last `maxEntries` texts in memory (a
 * repeated question costs no embedding call).
 */
export function createQueryEmbedder(opts: { url: string; timeoutMs: number; maxEntries?: number; apiKey?: string }): QueryEmbedder {
  const inference = createInferenceClient({ service: "embeddings", baseUrl: opts.url, timeoutMs: opts.timeoutMs, apiKey: opts.apiKey });
  const max = opts.maxEntries ?? 2000;
  const lru = new Map<string, number[]>();
  return {
    async embed(text, signal) {
      const known = lru.get(text);
      if (known) {
        lru.delete(text);
        lru.set(text, known);
        return known;
      }
      const { data } = await inference.embeddings({ input: text }, { signal });
      const vector = data[0]?.embedding;
      if (!vector) throw new ServiceError("embeddings", "invalid_response", "/v1/embeddings answered no vector");
      lru.set(text, vector);
      if (lru.size > max) lru.delete(lru.keys().next().value!);
      return vector;
    },
  };
}
