import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type InferenceMetrics = ReturnType<typeof createInferenceMetrics>;

/** The llama_* metrics, registered on the service's registry. */
export function createInferenceMetrics(registry: Registry) {
  const registers = [registry];
  return {
    tokensGenerated: new Counter({
      name: "llama_tokens_generated_total",
      help: "Completion tokens generated",
      registers,
    }),
    promptTokens: new Counter({
      name: "llama_prompt_tokens_total",
      help: "Prompt tokens evaluated for chat completions",
      registers,
    }),
    tokensPerSecond: new Histogram({
      name: "llama_generation_tokens_per_second",
      help: "Generation speed of each completed chat request (completion tokens / generation time)",
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
      registers,
    }),
    requestDuration: new Histogram({
      name: "llama_request_duration_seconds",
      help: "Duration of inference requests by endpoint, queue wait included",
      labelNames: ["endpoint"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    queueDepth: new Gauge({
      name: "llama_queue_depth",
      help: "Requests waiting for a free sequence",
      registers,
    }),
    activeSequences: new Gauge({
      name: "llama_active_sequences",
      help: "Sequences currently generating",
      registers,
    }),
    modelLoading: new Gauge({
      name: "llama_model_loading",
      help: "1 while a model is loading, else 0",
      registers,
    }),
    modelLoadSeconds: new Histogram({
      name: "llama_model_load_seconds",
      help: "Time to load a model and create its context",
      labelNames: ["role"] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    requestsRejected: new Counter({
      name: "llama_requests_rejected_total",
      help: "Requests refused before generation, by reason",
      labelNames: ["reason"] as const,
      registers,
    }),
    embeddingBatchSize: new Histogram({
      name: "llama_embedding_batch_size",
      help: "Texts embedded per batch",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    }),
  };
}
