import { createInferenceClient } from "../../inference/api/createInferenceClient.js";
import type { InferenceStatusView } from "../../inference/api/inferenceStatusSchema.js";
import { ServiceError } from "../../shared/http/ServiceError.js";

export interface HealthProbeOptions {
  /** The local inference service, e.g. http://127.0.0.1:8080. */
  baseUrl: string;
  /** Both requests together must answer within this. Default 500 ms. */
  timeoutMs?: number;
  /** How long a result is reused. Default 1000 ms. */
  cacheMs?: number;
  /** Sent as a bearer token (the stack's internal key) when inference enforces keys. */
  apiKey?: string;
}

export interface HealthProbeResult {
  /** /health answered 200 and /status reports a model that is loaded or loading (not failed). */
  healthy: boolean;
  loading: boolean;
  queueDepth?: number;
  queueLimit?: number;
  /** Tokens of the chat context (per sequence), from /status. */
  contextSize?: number;
  /** The chat model file is still being downloaded (first boot): the local model cannot answer yet. */
  downloading: boolean;
  /** /status load_progress_pct: of the download while downloading, of the load while loading. */
  loadProgressPct?: number;
  /** The chat model can follow response_format (/status capabilities.structuredOutput); absent when /status does not say. */
  structuredOutput?: boolean;
  /**
   * The loaded chat model's identity (its sha256, else its file name), from
   * /status: part of the semantic cache's scope, so a model change leaves the
   * previous model's answers behind.
   */
  modelId?: string;
  /** The loaded chat model's name, from /status. */
  modelName?: string;
  /** The chat model can call functions (/status capabilities.toolCalling, else function_calling); absent when /status does not say. */
  functionCalling?: boolean;
  /** Why the probe counts as unhealthy. */
  error?: string;
  latencyMs: number;
}

export interface HealthProbe {
  check(): Promise<HealthProbeResult>;
}

/**
 * Probes GET /health and GET /status of the local inference service, with a
 * timeout, and caches the result for `cacheMs`; concurrent callers share one
 * in-flight probe. Never throws: a failure is an unhealthy result.
 */
export function createHealthProbe(opts: HealthProbeOptions): HealthProbe {
  const timeoutMs = opts.timeoutMs ?? 500;
  const cacheMs = opts.cacheMs ?? 1000;
  const inference = createInferenceClient({ service: "local inference", baseUrl: opts.baseUrl, timeoutMs, apiKey: opts.apiKey });
  let cached: { at: number; result: HealthProbeResult } | undefined;
  let inFlight: Promise<HealthProbeResult> | undefined;

  async function probe(): Promise<HealthProbeResult> {
    const started = performance.now();
    const latencyMs = () => Math.round((performance.now() - started) * 10) / 10;
    const unhealthy = (error: string): HealthProbeResult => ({ healthy: false, loading: false, downloading: false, error, latencyMs: latencyMs() });
    const [health, status] = await Promise.allSettled([inference.health(), inference.status()]);
    if (health.status === "rejected") return unhealthy(describeFailure("/health", health.reason, timeoutMs));
    if (status.status === "rejected") return unhealthy(describeFailure("/status", status.reason, timeoutMs));
    const s = status.value;
    const loading = s.loading === true;
    const downloading = s.downloading === true;
    const healthy = loading || s.healthy !== false;
    const modelId = s.model_sha256 ?? s.model_name ?? undefined;
    return {
      healthy,
      loading,
      downloading,
      ...(typeof s.load_progress_pct === "number" && { loadProgressPct: s.load_progress_pct }),
      ...(typeof s.capabilities?.structuredOutput === "boolean" && { structuredOutput: s.capabilities.structuredOutput }),
      ...(modelId && { modelId }),
      ...(s.queue_depth !== undefined && { queueDepth: s.queue_depth }),
      ...(s.queue_limit !== undefined && { queueLimit: s.queue_limit }),
      ...(typeof s.context_size === "number" && { contextSize: s.context_size }),
      ...(typeof s.model_name === "string" && { modelName: s.model_name }),
      ...functionCallingOf(s),
      ...(!healthy && { error: downloading ? `model downloading (${s.load_progress_pct ?? 0}%)` : s.error ? `model unhealthy: ${s.error}` : "model unhealthy" }),
      latencyMs: latencyMs(),
    };
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

/** Whether the local model can call functions, as /status says it: the capabilities (registry facts and template), else the template alone. */
function functionCallingOf(s: InferenceStatusView): { functionCalling?: boolean } {
  if (typeof s.capabilities?.toolCalling === "boolean") return { functionCalling: s.capabilities.toolCalling };
  if (typeof s.function_calling === "boolean") return { functionCalling: s.function_calling };
  return {};
}

/** Why a probe request failed, in a few words: the status, the timeout, or the connection error's code. */
function describeFailure(path: string, err: unknown, timeoutMs: number): string {
  if (!(err instanceof ServiceError)) return String((err as Error)?.message ?? err);
  switch (err.kind) {
    case "http":
      return `${path} answered ${err.status}`;
    case "invalid_response":
      return `${path} is not the inference status JSON`;
    case "timeout":
    case "aborted":
      return `timeout after ${timeoutMs} ms`;
    case "unreachable":
      // "cannot reach <service> at <url>: ECONNREFUSED" -> "ECONNREFUSED"
      return err.message.replace(/^cannot reach .* at \S+: /, "");
  }
}
