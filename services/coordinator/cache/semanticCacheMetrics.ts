import { Counter, Gauge, type Registry } from "prom-client";

export interface SemanticCacheMetrics {
  hits: Counter<"variant" | "kind">;
  misses: Counter<"variant">;
  /** Operations that failed or skipped Redis because it was unavailable. */
  errors: Counter;
}

export interface RedisProbeGauges {
  pingOk: Gauge;
  latency: Gauge;
}

/** Reuses a metric already on the registry (a second cache on the same registry, tests). */
function reuse<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function semanticCacheMetrics(registry: Registry): SemanticCacheMetrics {
  return {
    hits: reuse(registry, "semantic_cache_hits_total", () =>
      new Counter({ name: "semantic_cache_hits_total", help: "Semantic cache lookups answered from the cache, by variant and kind (exact query hash or similar embedding)", labelNames: ["variant", "kind"] as const, registers: [registry] }),
    ),
    misses: reuse(registry, "semantic_cache_misses_total", () =>
      new Counter({ name: "semantic_cache_misses_total", help: "Semantic cache lookups that found nothing (including while Redis is unavailable or the cache is disabled)", labelNames: ["variant"] as const, registers: [registry] }),
    ),
    errors: reuse(registry, "semantic_cache_errors_total", () =>
      new Counter({ name: "semantic_cache_errors_total", help: "Semantic cache operations that failed or skipped Redis because it was unavailable", registers: [registry] }),
    ),
  };
}

export function redisProbeGauges(registry: Registry): RedisProbeGauges {
  return {
    pingOk: reuse(registry, "redis_ping_ok", () => new Gauge({ name: "redis_ping_ok", help: "1 if the last Redis PING succeeded, else 0", registers: [registry] })),
    latency: reuse(registry, "redis_latency_seconds", () => new Gauge({ name: "redis_latency_seconds", help: "Round-trip time of the last successful Redis PING", registers: [registry] })),
  };
}
