import { z } from "zod";

/** The roles a loaded model serves, as GET /v1/models names them. */
export const modelRoles = ["chat", "embedding", "rerank"] as const;

/** One model of OpenAI's GET /v1/models. */
export const openAiModelSchema = z.object({
  id: z.string(),
  object: z.literal("model"),
  created: z.number().int(),
  owned_by: z.string(),
});

/** GET /v1/models, OpenAI-compatible, with our `role` on each model. */
export const modelListSchema = z.object({
  object: z.literal("list"),
  data: z.array(openAiModelSchema.extend({ role: z.enum(modelRoles) })),
});

export type ModelList = z.infer<typeof modelListSchema>;
