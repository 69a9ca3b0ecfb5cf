import { createInferenceClient } from "../../inference/api/createInferenceClient.js";
import { ServiceError } from "../../shared/http/ServiceError.js";

/** Vectors for several texts, in order, with what it took. */
export interface EmbedManyResult {
  vectors: number[][];
  /** The embedding model's name (from the service's last answer). */
  model?: string;
  /** Tokens the service embedded for this call (cached texts cost none). */
  promptTokens: number;
  /** Texts answered from the cache. */
  cached: number;
}

export interface QueryEmbedder {
  embed(text: string, signal?: AbortSignal): Promise<number[]>;
  /**
   * Several texts: cached ones from memory, the others (each distinct text
   * once) in one call. With `dimensions` the service is asked for all of them
   * (it decides whether it can serve that size) and nothing is cached.
   */
  embedMany(texts: string[], signal?: AbortSignal, opts?: { dimensions?: number }): Promise<EmbedManyResult>;
}

/**
 * Embeds text through the inference service's /v1/embeddings, for the
 * semantic cache and the front door's /v1/embeddings, remembering the last
 * `maxEntries` texts in memory (a repeated text costs no embedding call).
 */
export function createQueryEmbedder(opts: { url: string; timeoutMs: number; maxEntries?: number; apiKey?: string }): QueryEmbedder {
  const inference = createInferenceClient({ service: "embeddings", baseUrl: opts.url, timeoutMs: opts.timeoutMs, apiKey: opts.apiKey });
  const max = opts.maxEntries ?? 2000;
  const lru = new Map<string, number[]>();
  let model: string | undefined;
  const recall = (text: string) => {
    const known = lru.get(text);
    if (known) {
      lru.delete(text);
      lru.set(text, known);
    }
    return known;
  };
  const remember = (text: string, vector: number[]) => {
    lru.set(text, vector);
    if (lru.size > max) lru.delete(lru.keys().next().value!);
  };
  const embedMany = async (texts: string[], signal?: AbortSignal, o: { dimensions?: number } = {}): Promise<EmbedManyResult> => {
    if (o.dimensions !== undefined) {
      const answer = await inference.embeddings({ input: texts, dimensions: o.dimensions }, { signal });
      const vectors = new Array<number[]>(texts.length);
      for (const d of answer.data) if (d.index < texts.length) vectors[d.index] = d.embedding;
      if (!Array.from(vectors).every(Boolean)) throw new ServiceError("embeddings", "invalid_response", "/v1/embeddings answered fewer vectors than texts");
      return { vectors, model: answer.model ?? model, promptTokens: answer.usage?.prompt_tokens ?? 0, cached: 0 };
    }
    const found = texts.map(recall);
    const missing = [...new Set(texts.filter((_, i) => found[i] === undefined))];
    let promptTokens = 0;
    const fresh = new Map<string, number[]>();
    if (missing.length > 0) {
      const answer = await inference.embeddings({ input: missing }, { signal });
      model = answer.model ?? model;
      promptTokens = answer.usage?.prompt_tokens ?? 0;
      for (const d of answer.data) if (d.index < missing.length) fresh.set(missing[d.index]!, d.embedding);
      if (fresh.size !== missing.length) throw new ServiceError("embeddings", "invalid_response", "/v1/embeddings answered fewer vectors than texts");
      for (const [text, vector] of fresh) remember(text, vector);
    }
    return { vectors: texts.map((t, i) => found[i] ?? fresh.get(t)!), model, promptTokens, cached: found.filter(Boolean).length };
  };
  return {
    async embed(text, signal) {
      const { vectors } = await embedMany([text], signal);
      const vector = vectors[0];
      if (!vector) throw new ServiceError("embeddings", "invalid_response", "/v1/embeddings answered no vector");
      return vector;
    },
    embedMany,
  };
}
