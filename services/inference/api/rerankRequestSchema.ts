import { z } from "zod";

/** POST /v1/rerank: documents scored for relevance to the query (at most the server's maxInputsPerRequest). */
export const rerankRequestSchema = z.object({
  model: z.string().optional(),
  query: z.string().min(1, "query must not be empty"),
  documents: z.array(z.string()).min(1, "documents must not be empty"),
  top_n: z.number().int().min(1).optional(),
  return_documents: z.boolean().optional(),
});

export type RerankRequest = z.infer<typeof rerankRequestSchema>;
