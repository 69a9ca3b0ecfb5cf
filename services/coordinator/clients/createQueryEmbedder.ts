import { z } from "zod";
import { ServiceError, fetchFailure, httpFailure } from "../../shared/http/ServiceError.js";
import { timeoutSignal } from "../../shared/http/timeoutSignal.js";

const embeddingsSchema = z.object({ data: z.array(z.object({ embedding: z.array(z.number()) })).min(1) });

export interface QueryEmbedder {
  embed(text: string, signal?: AbortSignal): Promise<number[]>;
}

/**
 * Embeds queries through the inference service's /v1/embeddings for the
 * semantic cache, remembering the last `maxEntries` texts in memory (a
 * repeated question costs no embedding call).
 */
export function createQueryEmbedder(opts: { url: string; timeoutMs: number; maxEntries?: number }): QueryEmbedder {
  const url = `${opts.url.replace(/\/+$/, "")}/v1/embeddings`;
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
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ input: text }),
          signal: timeoutSignal(opts.timeoutMs, signal),
        });
      } catch (err) {
        throw fetchFailure("embeddings", url, err, opts.timeoutMs, signal);
      }
      if (!response.ok) throw await httpFailure("embeddings", url, response);
      const parsed = embeddingsSchema.safeParse(await response.json().catch(() => undefined));
      if (!parsed.success) throw new ServiceError("embeddings", "invalid_response", "/v1/embeddings answered an unexpected shape");
      const vector = parsed.data.data[0]!.embedding;
      lru.set(text, vector);
      if (lru.size > max) lru.delete(lru.keys().next().value!);
      return vector;
    },
  };
}
