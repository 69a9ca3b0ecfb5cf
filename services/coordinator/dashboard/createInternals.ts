import { readInternalKey } from "../../shared/access/createKeyStore.js";
import type { Registry } from "prom-client";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { parsePrometheusText, sumOf } from "./parsePrometheusText.js";

export interface Internals {
  collected_at: string;
  semantic_cache: { enabled: boolean; hits: number; misses: number; hit_rate: number | null };
  embedding_cache: { source: string; hits: number | null; misses: number | null; hit_rate: number | null; error?: string };
  routing: {
    local: number;
    remote: number;
    /** local / (local + remote); null before any decision. */
    local_share: number | null;
    decisions: { backend: string; reason: string; count: number }[];
    fallbacks: { from: string; to: string; reason: string; count: number }[];
  };
  compression: { enabled: boolean; window_s: number; tokens_compressed: number; queries: number };
  generation: {
    source: string;
    /** Rate of llama_tokens_generated_total over the last ~10 s of samples; null until two samples. */
    tokens_per_second: number | null;
    tokens_generated_total: number | null;
    /** Mean speed of the completed generations (llama_generation_tokens_per_second). */
    mean_request_tokens_per_second: number | null;
    error?: string;
  };
}

export interface InternalsSource {
  read(): Promise<Internals>;
  close(): void;
}

/** How long a remote /metrics scrape may take. */
export const METRICS_FETCH_TIMEOUT_MS = 1000;
const HOUR_MS = 3_600_000;
const SNAPSHOT_EVERY_MS = 60_000;
const RATE_WINDOW_MS = 10_000;

type Values = { labels: Record<string, string | number>; value: number; metricName?: string }[];

async function values(registry: Registry, name: string): Promise<Values> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  return ((await metric.get()).values ?? []) as Values;
}
const total = (v: Values, metricName?: string) => v.filter((x) => metricName === undefined || x.metricName === metricName).reduce((a, x) => a + x.value, 0);
const rate = (hits: number, misses: number) => (hits + misses > 0 ? Math.round((hits / (hits + misses)) * 10_000) / 10_000 : null);

async function scrape(url: string, key?: string): Promise<Map<string, { labels: Record<string, string>; value: number }[]>> {
  // With keys enforced, /metrics is open to loopback by default; the internal key also covers openOnLoopback none.
  const r = await fetch(`${url.replace(/\/+$/, "")}/metrics`, { signal: AbortSignal.timeout(METRICS_FETCH_TIMEOUT_MS), headers: key ? { authorization: `Bearer ${key}` } : {} });
  const text = await r.text();
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return parsePrometheusText(text);
}
const describe = (err: unknown) => {
  if (!(err instanceof Error)) return String(err);
  if (err.name === "TimeoutError") return `timed out after ${METRICS_FETCH_TIMEOUT_MS} ms`;
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message ? cause.message : err.message;
};

/**
 * The numbers of the dashboard's "AI internals" panel: from the
 * coordinator's own registry (semantic cache, routing, compression), aidb's
 * /metrics (embedding cache) and the local inference's /metrics (tokens/s).
 * Keeps per-minute snapshots of the compression histograms for a rolling
 * one-hour sum, and recent token-counter samples for a live rate.
 */
export function createInternals(rt: CoordinatorRuntime, opts: { now?: () => number } = {}): InternalsSource {
  const now = opts.now ?? Date.now;
  const registry = rt.registry;
  const internalKey = rt.config.internalKeyFile ? readInternalKey(rt.config.internalKeyFile) : undefined;

  // Cumulative tokens removed by compression (sum before - sum after) and compressed queries, per minute.
  const compressionTotals = async () => {
    const before = await values(registry, "context_compression_tokens_before");
    const after = await values(registry, "context_compression_tokens_after");
    return {
      saved: total(before, "context_compression_tokens_before_sum") - total(after, "context_compression_tokens_after_sum"),
      queries: total(before, "context_compression_tokens_before_count"),
    };
  };
  const snapshots: { at: number; saved: number; queries: number }[] = [{ at: now(), saved: 0, queries: 0 }];
  const snapshot = async () => {
    const t = await compressionTotals();
    snapshots.push({ at: now(), ...t });
    // Keep the newest snapshot at or before one hour ago as the baseline.
    while (snapshots.length > 1 && snapshots[1]!.at <= now() - HOUR_MS) snapshots.shift();
    return t;
  };
  const timer = setInterval(() => void snapshot().catch(() => undefined), SNAPSHOT_EVERY_MS);
  timer.unref();

  const tokenSamples: { at: number; total: number }[] = [];

  return {
    close: () => clearInterval(timer),
    async read() {
      const [hits, misses, selections, fallbacks, current, aidb, local] = await Promise.all([
        values(registry, "semantic_cache_hits_total"),
        values(registry, "semantic_cache_misses_total"),
        values(registry, "hybrid_llm_backend_selections_total"),
        values(registry, "coordinator_fallbacks_total"),
        compressionTotals(),
        scrape(rt.config.aidbUrl, internalKey).then(
          (m) => ({ m }),
          (err: unknown) => ({ error: describe(err) }),
        ),
        scrape(rt.config.inferenceUrl, internalKey).then(
          (m) => ({ m }),
          (err: unknown) => ({ error: describe(err) }),
        ),
      ]);

      const base = snapshots[0]!;
      if (now() - snapshots[snapshots.length - 1]!.at >= SNAPSHOT_EVERY_MS) await snapshot();

      const decisions = selections
        .map((v) => ({ backend: String(v.labels.backend), reason: String(v.labels.reason), count: v.value }))
        .filter((d) => d.count > 0)
        .sort((a, b) => b.count - a.count || a.backend.localeCompare(b.backend) || a.reason.localeCompare(b.reason));
      const localCount = decisions.filter((d) => d.backend === "local").reduce((a, d) => a + d.count, 0);
      const remoteCount = decisions.filter((d) => d.backend === "remote").reduce((a, d) => a + d.count, 0);

      const hitCount = total(hits);
      const missCount = total(misses);

      let embedding: Internals["embedding_cache"];
      if ("m" in aidb) {
        const h = sumOf(aidb.m, "embedding_cache_hits_total");
        const ms = sumOf(aidb.m, "embedding_cache_misses_total");
        embedding = { source: "aidb /metrics", hits: h, misses: ms, hit_rate: rate(h, ms) };
      } else {
        embedding = { source: "aidb /metrics", hits: null, misses: null, hit_rate: null, error: aidb.error };
      }

      let generation: Internals["generation"];
      if ("m" in local) {
        const generated = sumOf(local.m, "llama_tokens_generated_total");
        const t = now();
        const prev = tokenSamples[tokenSamples.length - 1];
        if (prev && generated < prev.total) tokenSamples.length = 0; // the inference service restarted
        tokenSamples.push({ at: t, total: generated });
        while (tokenSamples.length > 2 && tokenSamples[1]!.at <= t - RATE_WINDOW_MS) tokenSamples.shift();
        const first = tokenSamples[0]!;
        const dt = (t - first.at) / 1000;
        const count = sumOf(local.m, "llama_generation_tokens_per_second_count");
        const sum = sumOf(local.m, "llama_generation_tokens_per_second_sum");
        generation = {
          source: "local inference /metrics",
          tokens_per_second: tokenSamples.length >= 2 && dt > 0 ? Math.round(((generated - first.total) / dt) * 100) / 100 : null,
          tokens_generated_total: generated,
          mean_request_tokens_per_second: count > 0 ? Math.round((sum / count) * 100) / 100 : null,
        };
      } else {
        tokenSamples.length = 0;
        generation = { source: "local inference /metrics", tokens_per_second: null, tokens_generated_total: null, mean_request_tokens_per_second: null, error: local.error };
      }

      return {
        collected_at: new Date(now()).toISOString(),
        semantic_cache: { enabled: rt.cache.status().enabled, hits: hitCount, misses: missCount, hit_rate: rate(hitCount, missCount) },
        embedding_cache: embedding,
        routing: {
          local: localCount,
          remote: remoteCount,
          local_share: localCount + remoteCount > 0 ? Math.round((localCount / (localCount + remoteCount)) * 10_000) / 10_000 : null,
          decisions,
          fallbacks: fallbacks
            .map((v) => ({ from: String(v.labels.from), to: String(v.labels.to), reason: String(v.labels.reason), count: v.value }))
            .filter((f) => f.count > 0),
        },
        compression: {
          enabled: rt.config.compressionEnabled,
          window_s: Math.round(Math.min(HOUR_MS, now() - base.at) / 1000),
          tokens_compressed: Math.max(0, current.saved - base.saved),
          queries: Math.max(0, current.queries - base.queries),
        },
        generation,
      };
    },
  };
}
