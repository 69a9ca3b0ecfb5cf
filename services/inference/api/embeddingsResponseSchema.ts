import { z } from "zod";

/** The answer of POST /v1/embeddings: one L2-normalised vector per input, `index` in input order. */
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
  usage: z.object({ prompt_tokens: z.number().int().min(0), total_tokens: z.number().int().min(0) }).optional(),
});

export type EmbeddingsResponse = z.infer<typeof embeddingsResponseSchema>;
