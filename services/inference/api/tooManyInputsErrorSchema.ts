import { z } from "zod";

/**
 * The 400 answer of /v1/embeddings (and /v1/rerank) to more inputs than the
 * server accepts in one request, in OpenAI's error shape; `limit` is the
 * server's configured maximum (clients shrink their batches to it).
 */
export const tooManyInputsErrorSchema = z.object({
  error: z.looseObject({
    code: z.literal("too_many_inputs"),
    message: z.string(),
    limit: z.number().int().positive(),
  }),
});

export type TooManyInputsError = z.infer<typeof tooManyInputsErrorSchema>;
