import { existsSync } from "node:fs";
import { GgmlType, GgufInsights, InsufficientMemoryError, readGgufFileInfo, type Llama } from "node-llama-cpp";
import memoryFigures from "../../../lib/memory.json" with { type: "json" };
import type { InferenceConfig } from "../inferenceConfigSchema.js";
import { MemoryBudgetError } from "./MemoryBudgetError.js";
import type { MemoryLimit } from "./readMemoryLimit.js";

const MiB = 1024 * 1024;
const mib = (bytes: number): number => Math.ceil(bytes / MiB);

/**
 * What the process needs besides its models: Node, node-llama-cpp and its
 * libraries (measured idle) plus the V8 heap the unit allows
 * (--max-old-space-size). The same figures as the NixOS budget (lib/memory.json).
 */
export const runtimeOverheadBytes = (memoryFigures.llamaRuntimeMiB + memoryFigures.llamaHeapMiB) * MiB;

/** node-llama-cpp (llama.cpp) sizes contexts in multiples of 256 tokens. */
const PAD = 256;

export type KvCacheType = InferenceConfig["kvCacheType"];
const kvTypes: Record<KvCacheType, GgmlType> = { f16: GgmlType.F16, q8_0: GgmlType.Q8_0 };

export interface ChatPlanInput {
  llama: Llama;
  modelPath: string;
  contextSize: number | "auto";
  sequences: number;
  batchSize: number;
  kvCacheType: KvCacheType;
  gpuLayers: number | "auto";
  limit: MemoryLimit | null;
  /** Bytes the other models of this process take (embedding and ranking models with their contexts). */
  otherBytes: number;
}

/** How the chat model is loaded, and why that fits. */
export interface ChatMemoryPlan {
  gpuLayers: number;
  totalLayers: number;
  /** Tokens per sequence the context is created with. */
  contextSize: number;
  requestedContextSize: number | "auto";
  sequences: number;
  batchSize: number;
  kvCacheType: KvCacheType;
  limit: MemoryLimit | null;
  /** node-llama-cpp's estimates (its simulation of llama.cpp's allocations), in bytes. */
  estimate: {
    runtime: number;
    model: number;
    context: number;
    other: number;
    total: number;
    modelVram: number;
    contextVram: number;
  };
}

/**
 * Plans the chat model's memory with node-llama-cpp's own estimates (its
 * GgufInsights, which simulate what llama.cpp allocates) before anything is
 * loaded: the layers offloaded (gpuLayers "auto": what fits the free VRAM
 * with the context), the model's weights in RAM, and the context's KV cache
 * and compute buffers. Against a memory limit, the runtime, the other models
 * and the weights come first, and the context must fit in what is left:
 * a number that does not fit throws MemoryBudgetError (exit code 2 at boot)
 * naming the numbers and the knobs; "auto" takes the largest context (a
 * multiple of 256 tokens, at most the trained context) that fits.
 */
export async function planChatMemory(input: ChatPlanInput): Promise<ChatMemoryPlan> {
  const { llama, sequences, kvCacheType, limit } = input;
  const insights = await GgufInsights.from(await readGgufFileInfo(input.modelPath), llama);
  const train = insights.trainContextSize ?? 4096;
  const kv = kvTypes[kvCacheType];
  const gpuLayers = await resolveGpuLayers(insights, llama, input, train);
  const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers });
  const contextFor = (contextSize: number) => {
    const batchSize = Math.min(input.batchSize, contextSize * sequences);
    return insights.estimateContextResourceRequirementsV2({
      contextSize,
      sequences,
      batchSize,
      modelGpuLayers: gpuLayers,
      kvCacheKeyType: kv,
      kvCacheValueType: kv,
    });
  };
  const available = limit === null ? Infinity : limit.bytes - runtimeOverheadBytes - input.otherBytes - model.cpuRam;
  const fits = async (contextSize: number) => (await contextFor(contextSize)).cpuRam <= available;
  const largestFitting = async (): Promise<number | null> => {
    const top = train < PAD ? train : Math.floor(train / PAD) * PAD;
    const bottom = Math.min(PAD, top);
    if (!(await fits(bottom))) return null;
    let lo = bottom / PAD;
    let hi = top / PAD;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (await fits(mid * PAD)) lo = mid;
      else hi = mid - 1;
    }
    return train < PAD ? train : lo * PAD;
  };

  let contextSize: number;
  if (input.contextSize === "auto") {
    const found = limit === null ? Math.floor(train / PAD) * PAD || train : await largestFitting();
    if (found === null) throw new MemoryBudgetError(await describe(PAD, null));
    contextSize = found;
  } else {
    const wanted = Math.min(input.contextSize, train);
    contextSize = wanted < train ? Math.min(train, Math.ceil(wanted / PAD) * PAD) : wanted;
    if (!(await fits(contextSize))) throw new MemoryBudgetError(await describe(contextSize, await largestFitting()));
  }
  const context = await contextFor(contextSize);
  return {
    gpuLayers,
    totalLayers: insights.totalLayers,
    contextSize,
    requestedContextSize: input.contextSize,
    sequences,
    batchSize: Math.min(input.batchSize, contextSize * sequences),
    kvCacheType,
    limit,
    estimate: {
      runtime: runtimeOverheadBytes,
      model: model.cpuRam,
      context: context.cpuRam,
      other: input.otherBytes,
      total: runtimeOverheadBytes + input.otherBytes + model.cpuRam + context.cpuRam,
      modelVram: model.gpuVram,
      contextVram: context.gpuVram,
    },
  };

  async function describe(contextSize: number, largest: number | null): Promise<string> {
    const context = await contextFor(contextSize);
    const total = runtimeOverheadBytes + input.otherBytes + model.cpuRam + context.cpuRam;
    const l = limit!;
    return [
      `the chat model does not fit in the memory limit of ${mib(l.bytes)} MiB (${l.bytes} bytes, from ${l.source}):`,
      `it needs ${mib(total)} MiB = runtime ${mib(runtimeOverheadBytes)} (Node, node-llama-cpp, JS heap)`,
      `+ other models ${mib(input.otherBytes)}`,
      `+ weights ${mib(model.cpuRam)} (${gpuLayers} of ${insights.totalLayers} layers on the GPU)`,
      `+ context ${mib(context.cpuRam)} (contextSize ${contextSize} x sequences ${sequences}, batchSize ${Math.min(input.batchSize, contextSize * sequences)}, kvCacheType ${kvCacheType}: KV cache and compute buffers).`,
      largest === null
        ? "No context fits: use a smaller model (chatModel), fewer embedding contexts, or raise the limit (the unit's MemoryMax, or memoryLimitBytes)."
        : `The largest context that fits is ${largest} tokens per sequence. Lower contextSize or sequences, set kvCacheType = "q8_0", lower batchSize, use a smaller model, or raise the limit (the unit's MemoryMax, or memoryLimitBytes); contextSize = "auto" takes the largest context that fits.`,
    ].join(" ");
  }
}

async function resolveGpuLayers(insights: GgufInsights, llama: Llama, input: ChatPlanInput, train: number): Promise<number> {
  if (llama.gpu === false || !llama.supportsGpuOffloading) return 0;
  if (typeof input.gpuLayers === "number") return Math.min(input.gpuLayers, insights.totalLayers);
  const perSequence = input.contextSize === "auto" ? Math.min(train, 4096) : Math.min(input.contextSize, train);
  try {
    const kv = kvTypes[input.kvCacheType];
    const resolved = await insights.configurationResolver.resolveModelGpuLayersV2(
      { fitContext: { contextSize: perSequence * input.sequences } },
      { defaultContextKvCacheKeyType: kv, defaultContextKvCacheValueType: kv },
    );
    return resolved.gpuLayers;
  } catch (err) {
    if (err instanceof InsufficientMemoryError) return 0;
    throw err;
  }
}

/**
 * The memory the embedding and ranking models of this process take with
 * their contexts (node-llama-cpp's estimates; they run on the CPU). Files
 * that are not there yet count 0 until they are.
 */
export async function estimateAuxiliaryBytes(llama: Llama, config: InferenceConfig): Promise<number> {
  const embedContextSize = config.embedContextSize ?? (config.contextSize === "auto" ? 2048 : config.contextSize);
  const one = async (path: string | undefined, contexts: number): Promise<number> => {
    if (!path || !existsSync(path)) return 0;
    const insights = await GgufInsights.from(await readGgufFileInfo(path), llama);
    const contextSize = Math.min(embedContextSize, insights.trainContextSize ?? embedContextSize);
    const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 });
    const context = await insights.estimateContextResourceRequirementsV2({ contextSize, sequences: 1, modelGpuLayers: 0, isEmbeddingContext: true });
    return model.cpuRam + contexts * context.cpuRam;
  };
  return (await one(config.embedModel, config.embedContexts)) + (await one(config.rerankModel, 1));
}

/** A process without a chat model (the embeddings unit): its models must fit too. */
export function checkAuxiliaryFits(limit: MemoryLimit | null, otherBytes: number): void {
  if (limit === null) return;
  const total = runtimeOverheadBytes + otherBytes;
  if (total > limit.bytes) {
    throw new MemoryBudgetError(
      `the embedding and ranking models do not fit in the memory limit of ${mib(limit.bytes)} MiB (from ${limit.source}): they need ${mib(total)} MiB = runtime ${mib(runtimeOverheadBytes)} + models and contexts ${mib(otherBytes)}. Lower embedContexts or embedContextSize, drop the reranker, or raise the limit.`,
    );
  }
}
