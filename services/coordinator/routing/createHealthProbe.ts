import { z } from "zod";

export interface HealthProbeOptions {
  /** The local inference service, e.g. http://127.0.0.1:8080. */
  baseUrl: string;
  /** Both requests together must answer within this. Default 500 ms. */
  timeoutMs?: number;
  /** How long a result is reused. Default 1000 ms. */
  cacheMs?: number;
}

export interface HealthProbeResult {
  /** /health answered 200 and /status reports a model that is loaded or loading (not failed). */
  healthy: boolean;
  loading: boolean;
  queueDepth?: number;
  queueLimit?: number;
  /** Tokens of the chat context (per sequence), from /status. */
  contextSize?: number;
  /** Why the probe counts as unhealthy. */
  error?: string;
  latencyMs: number;
}

export interface HealthProbe {
  check(): Promise<HealthProbeResult>;
}

/** The fields of the inference service's GET /status the router reads. */
const statusSchema = z.object({
  loading: z.boolean().optional(),
  healthy: z.boolean().optional(),
  queue_depth: z.number().int().min(0).optional(),
  queue_limit: z.number().int().min(0).optional(),
  context_size: z.number().int().min(0).nullish(),
  error: z.string().nullish(),
});

/**
 * Probes GET /health and GET /status of the local inference service, with a
 * timeout, and caches the result for `cacheMs`; concurrent callers share one
 * in-flight probe. Never throws: a failure is an unhealthy result.
 */
export function createHealthProbe(opts: HealthProbeOptions): HealthProbe {
  const timeoutMs = opts.timeoutMs ?? 500;
  const cacheMs = opts.cacheMs ?? 1000;
  const base = opts.baseUrl.replace(/\/+$/, "");
  let cached: { at: number; result: HealthProbeResult } | undefined;
  let inFlight: Promise<HealthProbeResult> | undefined;

  async function probe(): Promise<HealthProbeResult> {
    const started = performance.now();
    const latencyMs = () => Math.round((performance.now() - started) * 10) / 10;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const [health, status] = await Promise.all([
        fetch(`${base}/health`, { signal }).then(async (r) => ({ ok: r.ok, code: r.status, body: await r.text() })),
        fetch(`${base}/status`, { signal }).then(async (r) => ({ ok: r.ok, code: r.status, body: await r.json().catch(() => undefined) })),
      ]);
      if (!health.ok) return { healthy: false, loading: false, error: `/health answered ${health.code}`, latencyMs: latencyMs() };
      if (!status.ok) return { healthy: false, loading: false, error: `/status answered ${status.code}`, latencyMs: latencyMs() };
      const parsed = statusSchema.safeParse(status.body);
      if (!parsed.success) return { healthy: false, loading: false, error: "/status is not the inference status JSON", latencyMs: latencyMs() };
      const s = parsed.data;
      const loading = s.loading === true;
      const healthy = loading || s.healthy !== false;
      return {
        healthy,
        loading,
        ...(s.queue_depth !== undefined && { queueDepth: s.queue_depth }),
        ...(s.queue_limit !== undefined && { queueLimit: s.queue_limit }),
        ...(typeof s.context_size === "number" && { contextSize: s.context_size }),
        ...(!healthy && { error: s.error ? `model unhealthy: ${s.error}` : "model unhealthy" }),
        latencyMs: latencyMs(),
      };
    } catch (err) {
      return { healthy: false, loading: false, error: describeFetchError(err, timeoutMs), latencyMs: latencyMs() };
    }
  }

  return {
    check() {
      if (cached && performance.now() - cached.at < cacheMs) return Promise.resolve(cached.result);
      inFlight ??= probe().then((result) => {
        cached = { at: performance.now(), result };
        inFlight = undefined;
        return result;
      });
      return inFlight;
    },
  };
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError") return `timeout after ${timeoutMs} ms`;
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
