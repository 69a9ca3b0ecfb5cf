import type { InferenceStatus } from "./api/inferenceStatusSchema.js";
import type { InferenceRuntime } from "./InferenceRuntime.js";

/** GET /status's `gpu` and `memory`: the backend that runs, the layers offloaded, VRAM, the memory limit and the plan. */
export async function resourceStatus(runtime: InferenceRuntime): Promise<Pick<InferenceStatus, "gpu" | "memory">> {
  const { backend, chat, config, memoryLimit } = runtime;
  const plan = chat.memoryPlan;
  const vram = await backend.llama.getVramState();
  return {
    gpu: {
      backend: backend.backend,
      requested: backend.requested,
      fallback: backend.fallback !== null,
      fallback_reason: backend.fallback?.reason ?? null,
      layers_offloaded: chat.gpuLayers ?? null,
      total_layers: plan?.totalLayers ?? null,
      vram_used_bytes: vram.used,
      vram_total_bytes: vram.total,
    },
    memory: {
      limit_bytes: memoryLimit?.bytes ?? null,
      limit_source: memoryLimit?.source ?? null,
      context_size_requested: config.contextSize,
      kv_cache_type: config.kvCacheType,
      estimate_bytes: plan
        ? { runtime: plan.estimate.runtime, model: plan.estimate.model, context: plan.estimate.context, other: plan.estimate.other, total: plan.estimate.total }
        : null,
    },
  };
}
