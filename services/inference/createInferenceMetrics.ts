import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type InferenceMetrics = ReturnType<typeof createInferenceMetrics>;

/** The llama_* metrics, registered on the service's registry. */
export function createInferenceMetrics(registry: Registry) {
  const registers = [registry];
  const vram: { read?: () => Promise<{ used: number; total: number }> } = {};
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
    gpuBackend: new Gauge({
      name: "llama_gpu_backend_info",
      help: "1 for the llama.cpp backend that runs (cuda, vulkan, metal or cpu) and the gpu setting that asked for it",
      labelNames: ["backend", "requested"] as const,
      registers,
    }),
    gpuFallbacks: new Counter({
      name: "llama_gpu_fallbacks_total",
      help: "Times a GPU was expected and llama.cpp fell back to the CPU, by gpu setting",
      labelNames: ["requested"] as const,
      registers,
    }),
    gpuLayers: new Gauge({
      name: "llama_gpu_layers_offloaded",
      help: "Layers of the loaded chat model on the GPU",
      registers,
    }),
    modelLayers: new Gauge({
      name: "llama_model_layers",
      help: "Layers of the loaded chat model, the output layer included",
      registers,
    }),
    vramUsed: new Gauge({
      name: "llama_vram_used_bytes",
      help: "VRAM in use on the GPU llama.cpp runs on (0 on the CPU backend)",
      registers,
      async collect() {
        const read = vram.read;
        if (read) this.set((await read()).used);
      },
    }),
    vramTotal: new Gauge({
      name: "llama_vram_total_bytes",
      help: "VRAM of the GPU llama.cpp runs on (0 on the CPU backend)",
      registers,
      async collect() {
        const read = vram.read;
        if (read) this.set((await read()).total);
      },
    }),
    memoryLimit: new Gauge({
      name: "llama_memory_limit_bytes",
      help: "The memory limit the models are planned against (memoryLimitBytes or the cgroup's); 0 without one",
      registers,
    }),
    memoryEstimate: new Gauge({
      name: "llama_memory_estimate_bytes",
      help: "node-llama-cpp's estimate of the RAM the chat model needs, by part (runtime, model, context, other)",
      labelNames: ["part"] as const,
      registers,
    }),
    contextTokens: new Gauge({
      name: "llama_context_size_tokens",
      help: "Tokens per sequence of the loaded chat context (what contextSize, or auto, came to)",
      registers,
    }),
    memoryBandwidth: new Gauge({
      name: "llama_memory_bandwidth_bytes_per_second",
      help: "The host's memory bandwidth from its facts (memoryBandwidthBytesPerSecond); 0 when not set",
      registers,
    }),
    modelWeightsBytes: new Gauge({
      name: "llama_model_weights_bytes",
      help: "Size of the loaded chat model's weights: roughly the bytes read per generated token",
      registers,
    }),
    /** Where llama_vram_* read from; set once the backend is known. */
    setVramSource(read: () => Promise<{ used: number; total: number }>) {
      vram.read = read;
    },
  };
}
