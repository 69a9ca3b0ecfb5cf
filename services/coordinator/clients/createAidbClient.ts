import { z } from "zod";
import { ServiceError, fetchFailure, httpFailure } from "../../shared/http/ServiceError.js";
import { timeoutSignal } from "../../shared/http/timeoutSignal.js";

/** One passage of aidb's GET /search answer, the fields the coordinator uses. */
export const searchResultSchema = z.object({
  chunk_id: z.string(),
  document_id: z.string(),
  title: z.string().nullable(),
  text: z.string(),
  score: z.number(),
  scores: z.object({ vector: z.number().nullable(), keyword: z.number().nullable() }).passthrough(),
});

export type SearchResult = z.infer<typeof searchResultSchema>;

const searchResponseSchema = z.object({ results: z.array(searchResultSchema) });

export interface AidbClient {
  readonly url: string;
  search(q: { query: string; project?: string; limit: number; includeGenerated: boolean }, signal?: AbortSignal): Promise<SearchResult[]>;
  /** Links a rating to a document (POST /documents/:id/feedback); false when aidb doesn't know the document. */
  feedback(documentId: string, rating: 1 | -1): Promise<boolean>;
  health(timeoutMs: number): Promise<void>;
}

/** The coordinator's view of aidb's HTTP API. */
export function createAidbClient(opts: { url: string; timeoutMs: number }): AidbClient {
  const base = opts.url.replace(/\/+$/, "");
  const service = "aidb";

  async function call(path: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
    const url = `${base}${path}`;
    try {
      return await fetch(url, { ...init, signal: timeoutSignal(timeoutMs, signal) });
    } catch (err) {
      throw fetchFailure(service, url, err, timeoutMs, signal);
    }
  }

  return {
    url: base,
    async search(q, signal) {
      const params = new URLSearchParams({ q: q.query, limit: String(q.limit), mode: "hybrid" });
      if (q.project) params.set("project", q.project);
      if (q.includeGenerated) params.set("include_generated", "true");
      const path = `/search?${params}`;
      const response = await call(path, {}, opts.timeoutMs, signal);
      if (!response.ok) throw await httpFailure(service, `${base}/search`, response);
      const parsed = searchResponseSchema.safeParse(await response.json().catch(() => undefined));
      if (!parsed.success) throw new ServiceError(service, "invalid_response", "aidb /search answered an unexpected shape");
      return parsed.data.results;
    },
    async feedback(documentId, rating) {
      const path = `/documents/${encodeURIComponent(documentId)}/feedback`;
      const response = await call(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rating }) }, opts.timeoutMs);
      if (response.status === 404) return false;
      if (!response.ok) throw await httpFailure(service, `${base}${path}`, response);
      await response.body?.cancel();
      return true;
    },
    async health(timeoutMs) {
      const response = await call("/health", {}, timeoutMs);
      await response.body?.cancel();
      if (!response.ok) throw new ServiceError(service, "http", `aidb /health answered ${response.status}`, response.status);
    },
  };
}
