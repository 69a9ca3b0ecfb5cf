import { z } from "zod";
import { modelCapabilitiesSchema, modelDownloadSchema } from "./modelDownloadSchema.js";

/** One model in GET /status's `models`: what is loaded, or what failed to. */
export const modelStatusSchema = z.object({
  path: z.string(),
  sha256: z.string().nullish(),
  /** Embedding models: the vector size. */
  dimensions: z.number().int().positive().optional(),
  loaded: z.boolean(),
  /** Why a configured model is not loaded. */
  error: z.string().nullish(),
  /** A configured model file that is still being downloaded. */
  download: modelDownloadSchema.optional(),
});

/**
 * GET /status of the inference service, as the server sends it: the chat
 * model and its loading progress, queue and sequences, limits, and every
 * configured model. Clients read it with `inferenceStatusReadSchema`.
 */
export const inferenceStatusSchema = z.object({
  model_name: z.string().nullable(),
  model_path: z.string().nullable(),
  model_sha256: z.string().nullable(),
  /** A chat model is loading (at start, or a reload): requests queue meanwhile. */
  loading: z.boolean(),
  /**
   * The chat model file is not there yet and ai-model-download is fetching
   * it (first boot): chat requests get 503 `model_downloading`, the router
   * sends them to the remote. `download` says how far it is.
   */
  downloading: z.boolean(),
  download: modelDownloadSchema.nullable(),
  /** Of the download while `downloading`, of the load while `loading`. */
  load_progress_pct: z.number().min(0).max(100),
  /** The chat model is loaded and did not fail (false while loading). */
  healthy: z.boolean(),
  error: z.string().nullable(),
  queue_depth: z.number().int().min(0),
  active_sequences: z.number().int().min(0),
  sequences: z.number().int().min(1),
  /** Tokens of the chat context per sequence; null before a chat model is loaded. */
  context_size: z.number().int().min(0).nullable(),
  /**
   * The chat model can call functions (its chat template has a function-call
   * syntax): requests with `tools` are served, otherwise refused with 400
   * `tools_not_supported`. Null before a chat model is loaded.
   */
  function_calling: z.boolean().nullable(),
  /** The chat model's capabilities (null: no chat model configured). */
  capabilities: modelCapabilitiesSchema.nullable(),
  threads: z.number().int().min(1),
  queue_limit: z.number().int().min(0),
  /**
   * The llama.cpp backend that runs: `backend` (cuda, vulkan, metal or
   * cpu), the `gpu` setting that asked for it, whether that is a fallback
   * from an expected GPU (and why), the chat model's layers on the GPU and
   * the GPU's VRAM (0 on the CPU backend).
   */
  gpu: z.object({
    backend: z.string(),
    requested: z.enum(["auto", "cuda", "vulkan", "off"]),
    fallback: z.boolean(),
    fallback_reason: z.string().nullable(),
    layers_offloaded: z.number().int().min(0).nullable(),
    total_layers: z.number().int().min(0).nullable(),
    vram_used_bytes: z.number().min(0),
    vram_total_bytes: z.number().min(0),
  }),
  /**
   * The memory limit the models are planned against (null without one) and
   * node-llama-cpp's estimate of what the chat model needs, by part, for the
   * context it was created with (null before a chat model is planned).
   */
  memory: z.object({
    limit_bytes: z.number().int().min(0).nullable(),
    limit_source: z.string().nullable(),
    context_size_requested: z.union([z.literal("auto"), z.number().int()]),
    kv_cache_type: z.enum(["f16", "q8_0"]),
    estimate_bytes: z
      .object({ runtime: z.number(), model: z.number(), context: z.number(), other: z.number(), total: z.number() })
      .nullable(),
  }),
  models: z.object({
    chat: modelStatusSchema.nullable(),
    embed: modelStatusSchema.nullable(),
    rerank: modelStatusSchema.nullable(),
  }),
});

export type InferenceStatus = z.infer<typeof inferenceStatusSchema>;
export type ModelStatus = z.infer<typeof modelStatusSchema>;

/**
 * GET /status as clients read it: any field may be missing (an older
 * server, or a stand-in that serves only what a client reads), but a field
 * that is there has the server's type.
 */
export const inferenceStatusReadSchema = inferenceStatusSchema.partial();

export type InferenceStatusView = z.infer<typeof inferenceStatusReadSchema>;
