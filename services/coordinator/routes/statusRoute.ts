import type { KernelApp } from "../../shared/http/buildKernel.js";
import { statusResponseSchema } from "../api/statusContract.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";

const p95ms = (s: number | undefined) => (s === undefined ? null : Math.round(s * 100_000) / 100);

/**
 * GET /status: the local backend (from its health probe), the remote (its
 * circuit), the routing threshold in force, and every dependency that is
 * degraded with the reason.
 */
export async function statusRoute(app: KernelApp, { runtime: rt }: { runtime: CoordinatorRuntime }) {
  app.get("/status", { schema: { response: { 200: statusResponseSchema } } }, async () => {
    const [local, aidbError] = await Promise.all([
      rt.localProbe.check(),
      rt.aidb.health(1000).then(
        () => undefined,
        (err: Error) => err.message,
      ),
    ]);
    if (aidbError) rt.degraded.set("aidb", aidbError);
    else rt.degraded.delete("aidb");
    const circuit = rt.circuit();
    const remoteConfigured = rt.remote !== undefined;
    const remoteHealthy = remoteConfigured && circuit.state !== "open" && rt.remoteLastOk !== false;
    const cache = rt.cache.status();
    rt.metrics.dependencyUp.set({ dependency: "redis" }, cache.enabled ? (cache.healthy ? 1 : 0) : 0);
    const degraded = [...rt.degraded.entries()].map(([dependency, reason]) => ({ dependency, reason }));
    if (cache.enabled && !cache.healthy) degraded.push({ dependency: "redis", reason: cache.reason ?? "unavailable" });
    const routing = rt.routingConfig.current();
    return {
      loading: local.loading,
      healthy: local.healthy || (remoteConfigured && circuit.state !== "open"),
      queue_depth: local.queueDepth ?? 0,
      threshold: routing.threshold,
      backends: {
        local: {
          url: rt.config.inferenceUrl,
          healthy: local.healthy,
          loading: local.loading,
          downloading: local.downloading,
          ...(local.loadProgressPct !== undefined && { load_progress_pct: local.loadProgressPct }),
          p95_ms: p95ms(rt.routingMetrics.p95Seconds("local")),
          queue_depth: local.queueDepth ?? 0,
          ...(local.queueLimit !== undefined && { queue_limit: local.queueLimit }),
          ...(local.error && { error: local.error }),
        },
        remote: {
          configured: remoteConfigured,
          ...(remoteConfigured && { url: rt.config.remoteLlmUrl }),
          healthy: remoteHealthy,
          circuit: circuit.state,
          failures_to_open: circuit.failureThreshold,
          cooldown_ms: circuit.cooldownMs,
          p95_ms: p95ms(rt.routingMetrics.p95Seconds("remote")),
        },
      },
      dependencies: {
        aidb: { url: rt.config.aidbUrl, ok: !aidbError, ...(aidbError && { error: aidbError }) },
        semantic_cache: cache,
        database: { store: rt.store.kind, ok: !rt.degraded.has("database"), ...(rt.degraded.has("database") && { error: rt.degraded.get("database") }) },
        reranker: rt.reranker ? { configured: true, ok: !rt.degraded.has("reranker"), ...(rt.degraded.has("reranker") && { error: rt.degraded.get("reranker") }) } : { configured: false },
      },
      degraded,
      settings: {
        compression_enabled: rt.config.compressionEnabled,
        context_token_budget: rt.config.contextTokenBudget,
        gap_score_threshold: rt.config.gapScoreThreshold,
        ab_variant_b_fraction: rt.config.abVariantBFraction,
        query_rewrite: rt.config.queryRewrite,
      },
    };
  });
}
