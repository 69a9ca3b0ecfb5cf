import { z } from "zod";
import { tierNames } from "./tierNames.js";

const memorySize = z.string().regex(/^\d+[MG]$/, "a systemd size such as 512M or 2G");
const modelId = z.string().min(1);

/**
 * One tier of lib/tiers.json. The inference service reads `inference`
 * (threads, contextSize, sequences, queueLimit); Nix reads all of it.
 */
export const tierSchema = z.strictObject({
  /** Largest RAM (GB, inclusive) of this tier; null for the top tier. */
  ramMaxGb: z.number().positive().nullable(),
  /**
   * MemoryMax of each Node service (ai-aidb, ai-coordinator, ai-model-download):
   * MemoryHigh is 90% of it and the V8 heap 60%. The model units' limits come
   * from their computed need (lib/memory-budget.nix).
   */
  memoryMax: memorySize,
  /** Redis's maxmemory (the embedding and semantic caches). */
  redisMaxMemory: memorySize,
  defaultModel: modelId,
  embeddingModel: modelId.nullable(),
  rerankModel: modelId.nullable(),
  inference: z.strictObject({
    threads: z.number().int().min(1).max(256),
    contextSize: z.number().int().min(512),
    sequences: z.number().int().min(1).max(64),
    queueLimit: z.number().int().min(0),
    /** Tokens per llama.cpp batch: the compute buffers grow with batch x vocabulary. */
    batchSize: z.number().int().min(16),
    kvCacheType: z.enum(["f16", "q8_0"]),
  }),
  embeddings: z.strictObject({
    threads: z.number().int().min(1).max(256),
    /** Tokens of each embedding and ranking context. */
    contextSize: z.number().int().min(64),
    /** Embedding contexts a batch is spread over. */
    contexts: z.number().int().min(1).max(64),
    /** false: ai-inference serves the embedding model too (one llama.cpp runtime instead of two). */
    separateUnit: z.boolean(),
  }),
  webUi: z.boolean(),
  qdrant: z.boolean(),
  monitoring: z.boolean(),
  hugePages: z.enum(["never", "madvise", "reserved"]),
  zram: z.strictObject({ enable: z.boolean(), memoryPercent: z.number().int().min(0).max(100) }),
  sysctlProfile: z.enum(["constrained", "balanced", "throughput"]),
});

export type Tier = z.infer<typeof tierSchema>;

/** lib/tiers.json: exactly the five tiers, with RAM bounds rising tier by tier. */
export const tiersSchema = z.record(z.enum(tierNames), tierSchema).superRefine((tiers, ctx) => {
  let previous = 0;
  tierNames.forEach((name, i) => {
    const bound = tiers[name].ramMaxGb;
    const last = i === tierNames.length - 1;
    if (last && bound !== null) ctx.addIssue({ code: "custom", path: [name, "ramMaxGb"], message: "the top tier has no RAM bound (null)" });
    if (!last && bound === null) ctx.addIssue({ code: "custom", path: [name, "ramMaxGb"], message: "only the top tier may have no RAM bound" });
    if (!last && bound !== null) {
      if (bound <= previous) ctx.addIssue({ code: "custom", path: [name, "ramMaxGb"], message: `must be above the previous tier's ${previous}` });
      previous = bound;
    }
  });
});

export type Tiers = z.infer<typeof tiersSchema>;
