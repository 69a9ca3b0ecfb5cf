import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type Stage = "sanitize" | "cache" | "expand" | "retrieve" | "rerank" | "compress" | "generate";

export interface CoordinatorMetrics {
  stageSeconds: Histogram<"stage">;
  overheadSeconds: Histogram<"endpoint">;
  requests: Counter<"endpoint" | "outcome">;
  compressionBefore: Histogram;
  compressionAfter: Histogram;
  gaps: Counter;
  backendErrors: Counter<"backend" | "kind">;
  fallbacks: Counter<"from" | "to" | "reason">;
  completionTokens: Counter<"backend">;
  localHealthy: Gauge;
  remoteCircuit: Gauge;
  dependencyUp: Gauge<"dependency">;
  postgresQueryOk: Gauge;
  postgresLatency: Gauge;
  inputSanitized: Counter;
  injectionsDetected: Counter<"action">;
  embeddingTexts: Counter<"cache">;
}

const tokenBuckets = [0, 50, 100, 250, 500, 1000, 1500, 2000, 4000, 8000, 16000, 32000];

/** The coordinator's own metrics (routing metrics and the cache's are registered by their modules). */
export function createCoordinatorMetrics(registry: Registry): CoordinatorMetrics {
  const registers = [registry];
  return {
    stageSeconds: new Histogram({
      name: "coordinator_stage_seconds",
      help: "Duration of each /query pipeline stage",
      labelNames: ["stage"] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    overheadSeconds: new Histogram({
      name: "coordinator_overhead_seconds",
      help: "Coordinator time per request excluding retrieval, reranking and generation",
      labelNames: ["endpoint"] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
    requests: new Counter({
      name: "coordinator_requests_total",
      help: "Requests that reached generation or the cache, by endpoint and outcome (ok, cache_hit, backend_error, aborted); refused input is in http_request_duration_seconds by status code",
      labelNames: ["endpoint", "outcome"] as const,
      registers,
    }),
    compressionBefore: new Histogram({
      name: "context_compression_tokens_before",
      help: "Estimated context tokens before compression, per query",
      buckets: tokenBuckets,
      registers,
    }),
    compressionAfter: new Histogram({
      name: "context_compression_tokens_after",
      help: "Estimated context tokens after compression, per query",
      buckets: tokenBuckets,
      registers,
    }),
    gaps: new Counter({ name: "query_gaps_total", help: "Queries recorded as knowledge gaps (best retrieval score below the gap threshold)", registers }),
    backendErrors: new Counter({
      name: "coordinator_backend_errors_total",
      help: "Failed calls to a dependency by backend (local, remote, aidb, reranker, embeddings) and kind",
      labelNames: ["backend", "kind"] as const,
      registers,
    }),
    fallbacks: new Counter({
      name: "coordinator_fallbacks_total",
      help: "Generations moved to the other backend after the chosen one failed",
      labelNames: ["from", "to", "reason"] as const,
      registers,
    }),
    completionTokens: new Counter({
      name: "coordinator_completion_tokens_total",
      help: "Answer tokens generated through the coordinator by backend (from the backend's usage; streamed answers without usage count their content chunks)",
      labelNames: ["backend"] as const,
      registers,
    }),
    localHealthy: new Gauge({ name: "coordinator_local_backend_healthy", help: "1 when the last local health probe passed", registers }),
    remoteCircuit: new Gauge({
      name: "coordinator_remote_circuit_open",
      help: "1 while the remote backend's circuit is open (requests skip it), 0 otherwise",
      registers,
    }),
    dependencyUp: new Gauge({
      name: "coordinator_dependency_up",
      help: "1 when the last check of a dependency succeeded (aidb, database, redis: redis is checked by /status)",
      labelNames: ["dependency"] as const,
      registers,
    }),
    postgresQueryOk: new Gauge({ name: "postgres_query_ok", help: "1 when the last SELECT 1 on the coordinator's database succeeded", registers }),
    postgresLatency: new Gauge({ name: "postgres_latency_seconds", help: "Latency of the last SELECT 1 on the coordinator's database", registers }),
    inputSanitized: new Counter({ name: "coordinator_input_sanitized_total", help: "Queries from which invisible or control characters were removed", registers }),
    injectionsDetected: new Counter({
      name: "coordinator_injections_detected_total",
      help: "Retrieved passages that scored above injectionThreshold before entering a prompt, by what was done with them (dropped, fenced)",
      labelNames: ["action"] as const,
      registers,
    }),
    embeddingTexts: new Counter({
      name: "coordinator_embedding_texts_total",
      help: "Texts of /v1/embeddings requests on the coordinator, by whether its embedding cache had them (cache=hit) or the embeddings service was asked (cache=miss)",
      labelNames: ["cache"] as const,
      registers,
    }),
  };
}
