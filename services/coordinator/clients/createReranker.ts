import { createInferenceClient } from "../../inference/api/createInferenceClient.js";

export interface Reranker {
  /** Relevance of each document to the query, by input index. */
  rerank(query: string, documents: string[], signal?: AbortSignal): Promise<{ index: number; relevance_score: number }[]>;
}

/** The inference service's POST /v1/rerank. */
export function createReranker(opts: { url: string; timeoutMs: number; apiKey?: string }): Reranker {
  const inference = createInferenceClient({ service: "reranker", baseUrl: opts.url, timeoutMs: opts.timeoutMs, apiKey: opts.apiKey });
  return {
    async rerank(query, documents, signal) {
      const { results } = await inference.rerank({ query, documents }, { signal });
      return results.filter((r) => r.index < documents.length).map(({ index, relevance_score }) => ({ index, relevance_score }));
    },
  };
}
