import { z } from "zod";

/** POST /v1/embeddings, OpenAI-compatible: one text or several (at most the server's maxInputsPerRequest). */
export const embeddingsRequestSchema = z.object({
  model: z.string().optional(),
  input: z.union([z.string(), z.array(z.string()).min(1, "input must not be an empty array")]),
  encoding_format: z.enum(["float"]).optional(),
  user: z.string().optional(),
});

export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;
