import { hashQueryText } from "../../shared/text/hashQueryText.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import type { PreparedQuery } from "./PreparedQuery.js";

export interface InteractionOutcome {
  backend: "local" | "remote" | "cache";
  reason: string;
  fallbackReason?: string;
  routingOverride?: string;
  response: string;
  status: "ok" | "error" | "aborted";
  error?: string;
  /** The answer to keep in the semantic cache (successful, uncached answers only). */
  cacheEntry?: Record<string, unknown>;
}

/**
 * Stage 8: records the interaction in the database, appends it to the
 * telemetry log, records a knowledge gap when retrieval was weak, and stores
 * the answer in the semantic cache. Runs after the answer is sent; feedback
 * for the id waits on `pendingRecords` until the row exists. Failures are
 * logged and never reach the client.
 */
export function recordInteraction(rt: CoordinatorRuntime, p: PreparedQuery, outcome: InteractionOutcome): void {
  const documentIds = [...new Set(p.passages.map((x) => x.document_id))];
  const threshold = p.kind === "ready" ? p.decision.threshold : rt.routingConfig.current().threshold;
  const localConfidence = p.kind === "ready" ? p.localConfidence : null;
  const record = {
    id: p.id,
    project: p.project ?? null,
    queryText: p.query,
    backend: outcome.backend,
    reason: outcome.reason,
    fallbackReason: outcome.fallbackReason ?? null,
    routingOverride: outcome.routingOverride ?? null,
    localConfidenceScore: localConfidence,
    threshold,
    bestScore: p.bestScore,
    cacheHit: p.cache.hit,
    variant: p.variant,
    timings: p.timings,
    documentIds,
    sources: p.context.sources,
    responseChars: outcome.response.length,
    status: outcome.status,
    error: outcome.error ?? null,
  };

  const isGap = p.context.retrieval === "hybrid" && p.bestScore !== null && p.bestScore < rt.config.gapScoreThreshold;
  const write = (async () => {
    const t0 = performance.now();
    try {
      await rt.store.record(record, isGap ? { queryText: p.query, score: p.bestScore!, collectionSearched: p.project ?? "*" } : undefined);
      rt.degraded.delete("database");
      rt.metrics.dependencyUp.set({ dependency: "database" }, 1);
    } catch (err) {
      rt.metrics.dependencyUp.set({ dependency: "database" }, 0);
      rt.degraded.set("database", (err as Error).message);
      p.log.error({ event: "interaction_record_failed", err }, "could not record the interaction");
    } finally {
      rt.metrics.postgresLatency.set((performance.now() - t0) / 1000);
    }
  })();
  rt.pendingRecords.set(p.id, write);
  void write.finally(() => rt.pendingRecords.delete(p.id));

  if (isGap) {
    rt.metrics.gaps.inc();
    p.log.info({ event: "knowledge_gap", best_score: p.bestScore, collection_searched: p.project ?? "*" }, "weak retrieval recorded as a knowledge gap");
  }

  rt.telemetry.append({
    ts: new Date().toISOString(),
    type: "interaction",
    endpoint: p.endpoint,
    interaction_id: p.id,
    project: p.project ?? null,
    query: p.query,
    query_hash: hashQueryText(p.query),
    response: outcome.response,
    backend: outcome.backend,
    reason: outcome.reason,
    fallback_reason: outcome.fallbackReason ?? null,
    routing_override: outcome.routingOverride ?? null,
    local_confidence_score: localConfidence,
    threshold,
    best_score: p.bestScore,
    cache: p.cache,
    variant: p.variant,
    timings: p.timings,
    context: { sources: p.context.sources, tokens_before: p.context.tokens_before, tokens_after: p.context.tokens_after, compressed: p.context.compressed },
    status: outcome.status,
    error: outcome.error ?? null,
  });

  if (p.kind === "ready" && outcome.cacheEntry && outcome.status === "ok" && outcome.response !== "" && p.cacheStamps) {
    const entry = { ...outcome.cacheEntry, best_score: p.bestScore };
    void rt.cache.store({ project: p.project, namespace: p.endpoint, variant: p.variant, model: p.cacheModel, queryHash: p.queryHash, embedding: p.embedding, entry, stamps: p.cacheStamps }).catch((err) => {
      p.log.warn({ event: "semantic_cache_store_failed", err }, "could not store the answer in the semantic cache");
    });
  }
}
