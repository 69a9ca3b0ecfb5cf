import type { Logger } from "pino";
import type { InferenceMetrics } from "./createInferenceMetrics.js";
import type { GpuOptions, LlamaBackend } from "./getLlamaBackend.js";
import type { InferenceConfig } from "./inferenceConfigSchema.js";
import type { ChatMemoryPlan } from "./memory/planMemory.js";
import type { MemoryLimit } from "./memory/readMemoryLimit.js";

const MiB = 1024 * 1024;

/** The gpu settings of a config, for getLlamaBackend. */
export function gpuOptionsOf(config: InferenceConfig): GpuOptions {
  return { gpu: config.gpu, gpuExpected: config.gpuExpected, gpuFallback: config.gpuFallback };
}

/**
 * Says which llama.cpp backend runs, in the log and the metrics. A fallback
 * to the CPU when a GPU was expected is an error-level `gpu_fallback` event
 * and a count in llama_gpu_fallbacks_total: never silent.
 */
export function reportBackend(backend: LlamaBackend, limit: MemoryLimit | null, config: InferenceConfig, metrics: InferenceMetrics, logger: Logger): void {
  metrics.gpuBackend.set({ backend: backend.backend, requested: backend.requested }, 1);
  if (backend.fallback) {
    metrics.gpuFallbacks.inc({ requested: backend.requested });
    logger.error(
      { event: "gpu_fallback", requested: backend.requested, backend: backend.backend, reason: backend.fallback.reason },
      `GPU expected (gpu "${backend.requested}") but llama.cpp runs on the CPU: ${backend.fallback.reason}`,
    );
  } else {
    logger.info({ event: "llama_backend", requested: backend.requested, backend: backend.backend }, `llama.cpp runs on ${backend.backend}`);
  }
  metrics.setVramSource(async () => {
    const { used, total } = await backend.llama.getVramState();
    return { used, total };
  });
  if (limit) metrics.memoryLimit.set(limit.bytes);
  if (config.memoryBandwidthBytesPerSecond !== undefined) metrics.memoryBandwidth.set(config.memoryBandwidthBytesPerSecond);
}

/** Logs and exports a chat model's memory plan (what the context came to, and why). */
export function reportPlan(plan: ChatMemoryPlan, metrics: InferenceMetrics, logger: Logger): ChatMemoryPlan {
  const e = plan.estimate;
  for (const [part, bytes] of Object.entries({ runtime: e.runtime, model: e.model, context: e.context, other: e.other })) {
    metrics.memoryEstimate.set({ part }, bytes);
  }
  metrics.gpuLayers.set(plan.gpuLayers);
  metrics.modelLayers.set(plan.totalLayers);
  metrics.contextTokens.set(plan.contextSize);
  metrics.modelWeightsBytes.set(e.model + e.modelVram);
  const fields = {
    event: plan.requestedContextSize === "auto" ? "context_auto" : "memory_plan",
    context_size: plan.contextSize,
    sequences: plan.sequences,
    batch_size: plan.batchSize,
    kv_cache_type: plan.kvCacheType,
    gpu_layers: plan.gpuLayers,
    total_layers: plan.totalLayers,
    limit_mib: plan.limit ? Math.floor(plan.limit.bytes / MiB) : null,
    limit_source: plan.limit?.source ?? null,
    estimate_mib: Math.ceil(e.total / MiB),
  };
  if (plan.requestedContextSize === "auto") {
    logger.info(fields, `contextSize "auto": ${plan.contextSize} tokens per sequence x ${plan.sequences} fit ${plan.limit ? `the ${fields.limit_mib} MiB limit` : "without a memory limit"}`);
  } else {
    logger.info(fields, `chat context of ${plan.contextSize} tokens x ${plan.sequences} sequences: ${fields.estimate_mib} MiB estimated`);
  }
  return plan;
}
