import { z } from "zod";

/** POST /reload-model: swap the chat model for the GGUF file at `model` (verified against `sha256` when given). */
export const reloadModelRequestSchema = z.object({
  model: z.string().min(1, "path to a GGUF file is required"),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "expected 64 hex characters").optional(),
});

export type ReloadModelRequest = z.infer<typeof reloadModelRequestSchema>;

/** The answer of a successful POST /reload-model. */
export const reloadModelResponseSchema = z.object({
  status: z.literal("loaded"),
  model_path: z.string(),
  sha256: z.string(),
  load_seconds: z.number().min(0),
});

export type ReloadModelResponse = z.infer<typeof reloadModelResponseSchema>;
