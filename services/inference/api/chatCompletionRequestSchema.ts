import { z } from "zod";
import { inferenceLimits } from "./inferenceLimits.js";
import { supportedJsonSchema } from "./supportedJsonSchema.js";

const textPart = z.object({ type: z.literal("text"), text: z.string() });

/** OpenAI message content: a string, or text parts (images are not supported). */
const content = z.union([z.string(), z.array(textPart).min(1)]);

export const chatMessageSchema = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content, name: z.string().optional() }),
  z.object({ role: z.literal("developer"), content, name: z.string().optional() }),
  z.object({ role: z.literal("user"), content, name: z.string().optional() }),
  z.object({ role: z.literal("assistant"), content: z.union([content, z.null()]).optional(), name: z.string().optional() }),
]);

export const responseFormatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string().min(1).max(64).optional(),
      schema: z.record(z.string(), z.unknown()).pipe(supportedJsonSchema),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);

/** POST /v1/chat/completions: the OpenAI fields we honour; unknown ones are ignored. */
export const chatCompletionRequestSchema = z.object({
  model: z.string().optional(),
  messages: z.array(chatMessageSchema).min(1, "messages must not be empty"),
  max_tokens: z.number().int().min(1).optional(),
  max_completion_tokens: z.number().int().min(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(inferenceLimits.maxStopSequences)]).optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).optional(),
  response_format: responseFormatSchema.optional(),
  n: z.literal(1).optional(),
  user: z.string().optional(),
});

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type ChatMessage = z.infer<typeof chatMessageSchema>;
