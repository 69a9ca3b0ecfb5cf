import { z } from "zod";

const usage = z.object({ prompt_tokens: z.number().int().min(0), total_tokens: z.number().int().min(0) });

/** The answer of POST /v1/embeddings (float): one L2-normalised vector per input, `index` in input order. */
export const embeddingsResponseSchema = z.object({
  object: z.literal("list").optional(),
  model: z.string().optional(),
  data: z.array(
    z.object({
      object: z.literal("embedding").optional(),
      index: z.number().int().min(0),
      embedding: z.array(z.number()),
    }),
  ),
  usage: usage.optional(),
});

export type EmbeddingsResponse = z.infer<typeof embeddingsResponseSchema>;

/** The answer with `encoding_format: "base64"`: each vector as base64 of little-endian float32 (embeddingBase64). */
export const embeddingsBase64ResponseSchema = embeddingsResponseSchema.extend({
  data: z.array(z.object({ object: z.literal("embedding").optional(), index: z.number().int().min(0), embedding: z.string() })),
});

export type EmbeddingsBase64Response = z.infer<typeof embeddingsBase64ResponseSchema>;
