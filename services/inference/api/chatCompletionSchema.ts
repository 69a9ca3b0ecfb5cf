import { z } from "zod";

/** Token counts of a chat completion. */
export const chatUsageSchema = z.looseObject({
  prompt_tokens: z.number().int().min(0),
  completion_tokens: z.number().int().min(0),
  total_tokens: z.number().int().min(0),
});

/** A call in an answer: OpenAI's `{id, type: "function", function: {name, arguments}}`. */
export const completionToolCallSchema = z.looseObject({
  id: z.string(),
  type: z.literal("function"),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

/**
 * The answer of POST /v1/chat/completions without `stream`: OpenAI's
 * `chat.completion` object. Our server sends every field; the schema also
 * reads other OpenAI-compatible APIs (the coordinator's remote backend), so
 * it asks only for `choices[0].message` and keeps fields it does not name.
 */
export const chatCompletionSchema = z.looseObject({
  id: z.string().optional(),
  object: z.string().optional(),
  created: z.number().optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.looseObject({
        index: z.number().int().min(0).default(0),
        message: z.looseObject({
          role: z.string().default("assistant"),
          content: z.string().nullable().default(null),
          /** The calls the model made (finish_reason "tool_calls"); `arguments` is JSON text. */
          tool_calls: z.array(completionToolCallSchema).optional(),
        }),
        finish_reason: z.string().nullable().default(null),
      }),
    )
    .min(1, "no choices"),
  usage: chatUsageSchema
    .nullable()
    .transform((u) => u ?? undefined)
    .optional(),
});

export type ChatCompletion = z.infer<typeof chatCompletionSchema>;
