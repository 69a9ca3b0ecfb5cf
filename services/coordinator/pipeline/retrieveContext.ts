import type { SearchResult } from "../../aidb/api/searchContract.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";

export interface RetrievedSource extends SearchResult {
  rerank_score?: number;
}

export interface Retrieval {
  sources: RetrievedSource[];
  /** Why retrieval gave nothing: aidb failed (the query still gets an answer, without context). */
  error?: string;
  retrieveMs: number;
}

/**
 * Hybrid search in aidb for the expanded query and any rewritten phrasings;
 * passages found by several phrasings keep their best score. aidb being down
 * is not fatal: the result is empty with the reason.
 */
export async function retrieveContext(
  rt: CoordinatorRuntime,
  q: { queries: string[]; project?: string; includeGenerated: boolean },
  signal?: AbortSignal,
): Promise<Retrieval> {
  const started = performance.now();
  const limit = rt.config.retrievalLimit;
  try {
    const lists = await Promise.all(q.queries.map((query) => rt.aidb.search({ query, project: q.project, limit, includeGenerated: q.includeGenerated }, signal)));
    rt.degraded.delete("aidb");
    rt.metrics.dependencyUp.set({ dependency: "aidb" }, 1);
    const best = new Map<string, RetrievedSource>();
    for (const list of lists) {
      for (const r of list) {
        const seen = best.get(r.chunk_id);
        if (!seen || r.score > seen.score) best.set(r.chunk_id, r);
      }
    }
    const sources = [...best.values()].sort((a, b) => b.score - a.score).slice(0, limit);
    return { sources, retrieveMs: performance.now() - started };
  } catch (err) {
    const reason = (err as Error).message;
    rt.metrics.backendErrors.inc({ backend: "aidb", kind: (err as { kind?: string }).kind ?? "error" });
    rt.metrics.dependencyUp.set({ dependency: "aidb" }, 0);
    if (!rt.degraded.has("aidb")) rt.logger.warn({ event: "retrieval_degraded", reason }, "aidb unavailable; answering without context");
    rt.degraded.set("aidb", reason);
    return { sources: [], error: reason, retrieveMs: performance.now() - started };
  }
}

/**
 * Reorders sources by the reranker's relevance when one is configured.
 * Returns the sources unchanged with the reason when it is not, or fails.
 */
export async function rerankSources(
  rt: CoordinatorRuntime,
  query: string,
  sources: RetrievedSource[],
  signal?: AbortSignal,
): Promise<{ sources: RetrievedSource[]; applied: boolean; reason?: string; rerankMs: number }> {
  const started = performance.now();
  if (!rt.reranker) return { sources, applied: false, reason: "no reranker configured (rerankUrl)", rerankMs: 0 };
  if (sources.length < 2) return { sources, applied: false, reason: "fewer than two passages", rerankMs: 0 };
  try {
    const scores = await rt.reranker.rerank(
      query,
      sources.map((s) => s.text),
      signal,
    );
    const byIndex = new Map(scores.map((s) => [s.index, s.relevance_score]));
    const ranked = sources
      .map((s, i) => ({ ...s, rerank_score: byIndex.get(i) ?? Number.NEGATIVE_INFINITY }))
      .sort((a, b) => b.rerank_score - a.rerank_score);
    rt.degraded.delete("reranker");
    return { sources: ranked, applied: true, rerankMs: performance.now() - started };
  } catch (err) {
    const reason = (err as Error).message;
    rt.metrics.backendErrors.inc({ backend: "reranker", kind: (err as { kind?: string }).kind ?? "error" });
    if (!rt.degraded.has("reranker")) rt.logger.warn({ event: "rerank_degraded", reason }, "reranker failed; keeping aidb's order");
    rt.degraded.set("reranker", reason);
    return { sources, applied: false, reason: `reranker failed: ${reason}`, rerankMs: performance.now() - started };
  }
}
