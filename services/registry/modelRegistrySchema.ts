import { z } from "zod";
import { tierNames } from "./tierNames.js";

/** What a model can do; chat models answer, the others serve retrieval. */
export const modelCapabilities = ["chat", "json_schema", "tools", "embedding", "rerank"] as const;

const plainName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const repoName = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/;

/**
 * One entry of lib/models.json. Field names are snake_case as in the file.
 * `sha256` is null until a real published hash is known; the downloader
 * refuses such an entry. `size_bytes` is null when the size is not known.
 */
export const modelEntrySchema = z.strictObject({
  id: z.string().regex(plainName, "model id: letters, digits, '.', '_', '-'"),
  hf_repo: z.string().regex(repoName, "hf_repo: owner/name"),
  hf_file: z
    .string()
    .regex(plainName, "hf_file: a plain file name")
    .refine((f) => f.endsWith(".gguf"), "hf_file must be a .gguf file"),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "sha256: 64 lowercase hex characters")
    .nullable(),
  /**
   * The upstream commit the file is fetched at (`resolve/<revision>/<file>`,
   * never `resolve/main`), so a re-upload cannot change what a sha256 was
   * checked against. null until a real commit is known; the downloader
   * refuses such an entry as it refuses a null sha256.
   */
  revision: z
    .string()
    .regex(/^[0-9a-f]{40}$/, "revision: a 40-hex commit of the model repository")
    .nullable(),
  size_bytes: z.number().int().positive().nullable(),
  quantization: z.string().regex(/^(Q\d(_K)?(_[SML])?|Q\d_\d|F16|BF16|F32|IQ\d\w*)$/, "quantization: a GGUF type such as Q4_K_M"),
  parameters_b: z.number().positive(),
  context_length: z.number().int().min(512),
  /**
   * The shape the memory budget (lib/memory-budget.nix) computes with: KV
   * cache per token = 2 x layers x head_count_kv x head_dim x bytes per
   * element; compute buffers grow with vocab_size and embedding_length.
   * Encoders (`causal: false`) keep no KV cache in llama.cpp; the budget
   * counts one anyway, as node-llama-cpp's estimate does. `source` says where
   * the figures come from, and what is estimated.
   */
  architecture: z.strictObject({
    layers: z.number().int().positive(),
    embedding_length: z.number().int().positive(),
    head_count: z.number().int().positive(),
    head_count_kv: z.number().int().positive(),
    head_dim: z.number().int().positive(),
    feed_forward_length: z.number().int().positive(),
    vocab_size: z.number().int().positive(),
    causal: z.boolean(),
    source: z.string().min(1),
  }),
  ram_required_gb: z.number().positive(),
  vram_required_gb: z.number().positive(),
  recommended_for: z.array(z.enum(tierNames)).min(1),
  capabilities: z.array(z.enum(modelCapabilities)).min(1),
  /**
   * Embedding models: the text put before a query and before a document
   * (nomic-embed-text's `search_query: ` and `search_document: `). Absent:
   * the model is used without prefixes.
   */
  prefixes: z.strictObject({ query: z.string().max(200), document: z.string().max(200) }).optional(),
  license: z.string().min(1),
});

export type ModelEntry = z.infer<typeof modelEntrySchema>;

/** lib/models.json: the registry allowlist and the models. */
export const modelRegistrySchema = z
  .strictObject({
    allowlist: z.array(z.string().regex(repoName, "allowlist entries are owner/name")).min(1),
    models: z.array(modelEntrySchema).min(1),
  })
  .superRefine((reg, ctx) => {
    const seen = new Set<string>();
    reg.models.forEach((m, i) => {
      if (seen.has(m.id)) ctx.addIssue({ code: "custom", path: ["models", i, "id"], message: `duplicate model id ${m.id}` });
      seen.add(m.id);
      const retrieval = m.capabilities.includes("embedding") || m.capabilities.includes("rerank");
      if (m.prefixes && !m.capabilities.includes("embedding")) {
        ctx.addIssue({ code: "custom", path: ["models", i, "prefixes"], message: `${m.id}: prefixes belong to embedding models` });
      }
      if (!m.capabilities.includes("chat") && !retrieval) {
        ctx.addIssue({ code: "custom", path: ["models", i, "capabilities"], message: `${m.id} is neither a chat, embedding nor rerank model` });
      }
    });
    if (new Set(reg.allowlist).size !== reg.allowlist.length) {
      ctx.addIssue({ code: "custom", path: ["allowlist"], message: "allowlist has duplicates" });
    }
  });

export type ModelRegistry = z.infer<typeof modelRegistrySchema>;
