import { Counter, Gauge, type Registry } from "prom-client";

export interface EmbeddingCacheMetrics {
  hits: Counter;
  misses: Counter;
  /** Cache operations that could not use the backend (Redis down, timeout). */
  errors: Counter;
}

export interface RedisProbeMetrics {
  pingOk: Gauge;
  latency: Gauge;
}

/** Reuses a metric already on the registry (a reload builds a new cache). */
function counter(registry: Registry, name: string, help: string): Counter {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter;
  return new Counter({ name, help, registers: [registry] });
}

function gauge(registry: Registry, name: string, help: string): Gauge {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge;
  return new Gauge({ name, help, registers: [registry] });
}

export function embeddingCacheMetrics(registry: Registry): EmbeddingCacheMetrics {
  return {
    hits: counter(registry, "embedding_cache_hits_total", "Embedding cache lookups that found a vector"),
    misses: counter(registry, "embedding_cache_misses_total", "Embedding cache lookups that found nothing (including while the backend is down)"),
    errors: counter(registry, "embedding_cache_errors_total", "Embedding cache operations that failed or were skipped because the backend was unavailable"),
  };
}

export function redisProbeMetrics(registry: Registry): RedisProbeMetrics {
  return {
    pingOk: gauge(registry, "redis_ping_ok", "1 if the last Redis PING succeeded, else 0"),
    latency: gauge(registry, "redis_latency_seconds", "Round-trip time of the last successful Redis PING"),
  };
}
