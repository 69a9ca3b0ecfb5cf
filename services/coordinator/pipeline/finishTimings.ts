import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import type { PreparedQuery } from "./PreparedQuery.js";

/**
 * Sets total_ms and observes each stage and the coordinator's own overhead:
 * total minus retrieval, reranking and generation (the time spent waiting on
 * other services).
 */
export function finishTimings(rt: CoordinatorRuntime, p: PreparedQuery, endpoint: "query" | "chat"): void {
  const t = p.timings;
  t.total_ms = Math.round((performance.now() - p.started) * 100) / 100;
  const overhead = Math.max(0, t.total_ms - t.retrieve_ms - t.rerank_ms - t.generate_ms);
  rt.metrics.overheadSeconds.observe({ endpoint }, overhead / 1000);
  for (const stage of ["sanitize", "cache", "expand", "retrieve", "rerank", "compress", "generate"] as const) {
    rt.metrics.stageSeconds.observe({ stage }, t[`${stage}_ms`] / 1000);
  }
}
