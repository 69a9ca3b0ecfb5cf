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
    /** Tokens per sequence; capped at the model's trained context length. */
    contextSize: intField(64, 1_048_576).default(4096),
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
