import { z } from "zod";
import { ServiceError, fetchFailure, httpFailure } from "../../shared/http/ServiceError.js";
import { timeoutSignal } from "../../shared/http/timeoutSignal.js";

const rerankResponseSchema = z.object({
  results: z.array(z.object({ index: z.number().int().min(0), relevance_score: z.number() })),
});

export interface Reranker {
  /** Relevance of each document to the query, by input index. */
  rerank(query: string, documents: string[], signal?: AbortSignal): Promise<{ index: number; relevance_score: number }[]>;
}

/** The inference service's POST /v1/rerank. */
export function createReranker(opts: { url: string; timeoutMs: number }): Reranker {
  const url = `${opts.url.replace(/\/+$/, "")}/v1/rerank`;
  return {
    async rerank(query, documents, signal) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query, documents }),
          signal: timeoutSignal(opts.timeoutMs, signal),
        });
      } catch (err) {
        throw fetchFailure("reranker", url, err, opts.timeoutMs, signal);
      }
      if (!response.ok) throw await httpFailure("reranker", url, response);
      const parsed = rerankResponseSchema.safeParse(await response.json().catch(() => undefined));
      if (!parsed.success) throw new ServiceError("reranker", "invalid_response", "/v1/rerank answered an unexpected shape");
      return parsed.data.results.filter((r) => r.index < documents.length);
    },
  };
}
