import { z } from "zod";

/** The answer of POST /v1/rerank: results sorted by relevance, `index` into the request's documents. */
export const rerankResponseSchema = z.object({
  object: z.literal("list").optional(),
  model: z.string().optional(),
  results: z.array(
    z.object({
      index: z.number().int().min(0),
      relevance_score: z.number(),
      /** With `return_documents: true`. */
      document: z.object({ text: z.string() }).optional(),
    }),
  ),
});

export type RerankResponse = z.infer<typeof rerankResponseSchema>;
