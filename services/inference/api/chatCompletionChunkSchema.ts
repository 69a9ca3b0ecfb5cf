import { z } from "zod";
import { chatUsageSchema } from "./chatCompletionSchema.js";

/** A piece of a streamed tool call (OpenAI's delta format). */
export const toolCallDeltaSchema = z.looseObject({
  index: z.number().int().min(0),
  id: z.string().optional(),
  type: z.literal("function").optional(),
  function: z.looseObject({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
});

/**
 * One server-sent event of a streamed POST /v1/chat/completions
 * (`stream: true`): OpenAI's `chat.completion.chunk`. The first carries the
 * role, then one per piece of content, then one with `finish_reason`, and
 * with `stream_options.include_usage` a last one with `usage` and no
 * choices; `data: [DONE]` ends the stream. Tool calls stream as
 * `delta.tool_calls` pieces and end with finish_reason "tool_calls". A
 * failure after the stream has started is an event with `error` instead
 * (OpenAI's error shape).
 */
export const chatCompletionChunkSchema = z.looseObject({
  id: z.string().optional(),
  object: z.string().optional(),
  created: z.number().optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.looseObject({
        index: z.number().int().min(0).optional(),
        delta: z
          .looseObject({
            role: z.string().optional(),
            content: z.string().nullish(),
            /** A call's first delta has `index`, `id`, `type` and `function.name`; the next ones add to `function.arguments`. */
            tool_calls: z.array(toolCallDeltaSchema).optional(),
          })
          .optional(),
        finish_reason: z.string().nullish(),
      }),
    )
    .optional(),
  usage: chatUsageSchema.nullish(),
  error: z
    .union([
      z.looseObject({
        message: z.string().optional(),
        /** Our server names its error code here (e.g. internal_error); OpenAI uses `code`. */
        type: z.string().optional(),
        code: z.string().nullish(),
      }),
      z.string(),
    ])
    .optional(),
});

export type ChatCompletionChunk = z.infer<typeof chatCompletionChunkSchema>;

/** The event that ends a stream. */
export const streamDone = "[DONE]";
