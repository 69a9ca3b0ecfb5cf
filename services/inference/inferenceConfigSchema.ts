import { availableParallelism } from "node:os";
import { z } from "zod";
import ports from "../../lib/ports.json" with { type: "json" };
import { accessConfigShape, refineListenAccess } from "../shared/access/accessConfigShape.js";
import { boolField, hostField, intField, portField, sha256Field } from "../shared/config/fields.js";
import { inferenceLimits } from "./api/inferenceLimits.js";
import { defaultThreads } from "./defaultThreads.js";

/**
 * Every setting of the inference service. The same keys come from the JSON
 * config file (NixOS renders it), from `AI_INFERENCE_*` environment variables
 * and from `aq serve inference` flags. Limits are explicit here.
 */
export const inferenceConfigSchema = z
  .object({
    host: hostField().default("127.0.0.1"),
    port: portField().default(ports.inferenceChat),
    /** At least one of chatModel, embedModel and rerankModel is required. */
    chatModel: z.string().min(1).optional(),
    chatModelSha256: sha256Field().optional(),
    embedModel: z.string().min(1).optional(),
    embedModelSha256: sha256Field().optional(),
    rerankModel: z.string().min(1).optional(),
    rerankModelSha256: sha256Field().optional(),
    /**
     * The progress file ai-model-download writes. With it, a configured model
     * file that does not exist yet is waited for (GET /status: `downloading`,
     * with the download's progress) and loaded once it appears, instead of
     * being an error.
     */
    modelDownloadStatusFile: z.string().min(1).optional(),
    /** How often a missing model file and the download's progress are looked at. */
    modelWaitPollMs: intField(10, 600_000).default(2000),
    /**
     * Facts of the chat model (lib/models.json capabilities `json_schema` and
     * `tools`; NixOS renders them), reported in GET /status `capabilities` for
     * the router. Unset: assumed (tool calling still needs a chat template
     * that can call functions).
     */
    chatModelStructuredOutput: boolField().optional(),
    chatModelToolCalling: boolField().optional(),
    /** Parallel generations: one context with this many sequences. */
    sequences: intField(1, 64).default(2),
    /** CPU threads per evaluation; more than the cores is many times slower. */
    threads: intField(1, 256).default(defaultThreads()),
    /** Requests allowed to wait for a free sequence; beyond it, 503. */
    queueLimit: intField(0, 10_000).default(10),
    /**
     * Tokens per sequence (llama.cpp allocates contextSize x sequences cells);
     * capped at the model's trained context length. At start the chat context
     * is checked against the memory limit (memoryLimitBytes, or the cgroup's):
     * one that does not fit stops the service (exit 2) with the numbers;
     * "auto" takes the largest that fits, and logs it.
     */
    contextSize: z.union([z.literal("auto"), intField(64, 1_048_576)]).default(4096),
    /** Tokens of each embedding and ranking context; default: contextSize (2048 when that is "auto"). */
    embedContextSize: intField(64, 1_048_576).optional(),
    /** Tokens evaluated per llama.cpp batch; the compute buffers grow with batch x vocabulary. */
    batchSize: intField(16, 65_536).default(512),
    /** KV cache element type of the chat context: q8_0 takes about half of f16's memory. */
    kvCacheType: z.enum(["f16", "q8_0"]).default("f16"),
    /**
     * llama.cpp backend: auto (the best prebuilt backend that loads: CUDA,
     * Vulkan, else CPU), cuda, vulkan, or off (CPU). Falling back to the CPU
     * when a GPU was expected (cuda or vulkan set, or gpuExpected) is logged
     * as `gpu_fallback` and counted in llama_gpu_fallbacks_total.
     */
    gpu: z.enum(["auto", "cuda", "vulkan", "off"]).default("auto"),
    /** Layers of the chat model offloaded to the GPU: "auto" fits them to the free VRAM (node-llama-cpp's estimate). */
    gpuLayers: z.union([z.literal("auto"), intField(0, 10_000)]).default("auto"),
    /** This host has a GPU (NixOS sets it from the facts): a CPU-only backend under gpu "auto" is a fallback too. */
    gpuExpected: boolField().default(false),
    /** What a GPU fallback does: serve on the CPU (logged, counted), or exit with code 2. */
    gpuFallback: z.enum(["cpu", "exit"]).default("cpu"),
    /** The memory limit the models must fit in; default: the cgroup's (memory.max, or v1 memory.limit_in_bytes). */
    memoryLimitBytes: intField(1).optional(),
    /** The host's memory bandwidth (NixOS: facts.memoryBandwidthGBs), exported for the tokens/s ceiling: bandwidth / bytes read per token. */
    memoryBandwidthBytesPerSecond: intField(1).optional(),
    /** max_tokens used when a request doesn't set one. */
    defaultMaxTokens: intField(1, 1_048_576).default(512),
    /** Embedding micro-batching: gather for this long, up to this many texts. */
    batchMaxLatencyMs: intField(0, 1000).default(5),
    batchMaxSize: intField(1, 1024).default(32),
    embeddingBatching: boolField().default(true),
    /** Embedding contexts a batch is spread over, one thread each. */
    embedContexts: intField(1, 64).default(Math.min(availableParallelism(), 4)),
    /** Texts accepted in one /v1/embeddings request and documents in one /v1/rerank. */
    maxInputsPerRequest: intField(1, inferenceLimits.maxInputsPerRequest).default(inferenceLimits.defaultMaxInputsPerRequest),
    /** Largest request body in bytes. */
    bodyLimitBytes: intField(1024, 512 * 1024 * 1024).default(8 * 1024 * 1024),
    /** How long SIGTERM waits for in-flight generations and streams. */
    shutdownTimeoutMs: intField(0, 600_000).default(30_000),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** API keys, rate limits, audit (docs/operations.md); without a Redis of its own, the limits are per process. */
    ...accessConfigShape,
  })
  .strict()
  .superRefine((c, ctx) => {
    refineListenAccess(c, ctx);
    if (!c.chatModel && !c.embedModel && !c.rerankModel) {
      ctx.addIssue({
        code: "custom",
        path: ["chatModel"],
        message: "a model to serve: set chatModel (and/or embedModel, rerankModel) to a GGUF file",
      });
    }
  });

export type InferenceConfig = z.infer<typeof inferenceConfigSchema>;
