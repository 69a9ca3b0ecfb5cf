import { z } from "zod";
import { inferenceLimits } from "./inferenceLimits.js";
import { supportedJsonSchema } from "./supportedJsonSchema.js";

const textPart = z.object({ type: z.literal("text"), text: z.string() });

/** OpenAI message content: a string, or text parts (images are not supported). */
const content = z.union([z.string(), z.array(textPart).min(1)]);

/** A function name as OpenAI allows it. */
export const functionNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, _ or -");

/** One call in an assistant message's `tool_calls`; `arguments` is JSON text. */
export const toolCallSchema = z.object({
  id: z.string().min(1).max(256),
  type: z.literal("function"),
  function: z.object({ name: functionNameSchema, arguments: z.string() }),
});

export const chatMessageSchema = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content, name: z.string().optional() }),
  z.object({ role: z.literal("developer"), content, name: z.string().optional() }),
  z.object({ role: z.literal("user"), content, name: z.string().optional() }),
  z.object({
    role: z.literal("assistant"),
    content: z.union([content, z.null()]).optional(),
    name: z.string().optional(),
    tool_calls: z.array(toolCallSchema).min(1).optional(),
  }),
  /** The result of a call, answering the `tool_call_id` of an earlier assistant message's call. */
  z.object({ role: z.literal("tool"), content, tool_call_id: z.string().min(1).max(256) }),
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

/** A function the model may call; `parameters` is a JSON schema the call's arguments are generated under (a grammar). */
export const toolSchema = z.object({
  type: z.literal("function"),
  function: z.object({
    name: functionNameSchema,
    description: z.string().max(8192).optional(),
    parameters: z.record(z.string(), z.unknown()).pipe(supportedJsonSchema).optional(),
    strict: z.boolean().nullish(),
  }),
});

export const toolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  z.object({ type: z.literal("function"), function: z.object({ name: functionNameSchema }) }),
]);

/** POST /v1/chat/completions: the OpenAI fields we honour; unknown ones are ignored. */
export const chatCompletionRequestSchema = z
  .object({
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
    /** Functions the model may call (a model whose chat template cannot call functions refuses them: 400 tools_not_supported). */
    tools: z.array(toolSchema).min(1, "tools must not be empty").max(inferenceLimits.maxTools).optional(),
    /** `auto` (default with tools), `none`, `required` (at least one call) or one named function. */
    tool_choice: toolChoiceSchema.optional(),
    /** false: at most one call per answer. */
    parallel_tool_calls: z.boolean().optional(),
    n: z.literal(1).optional(),
    user: z.string().optional(),
  })
  .superRefine((body, ctx) => {
    const names = new Set<string>();
    body.tools?.forEach((t, i) => {
      if (names.has(t.function.name)) ctx.addIssue({ code: "custom", path: ["tools", i, "function", "name"], message: `duplicate tool name ${t.function.name}` });
      names.add(t.function.name);
    });
    const choice = body.tool_choice;
    if (choice !== undefined && !body.tools && choice !== "none") {
      ctx.addIssue({ code: "custom", path: ["tool_choice"], message: "needs tools" });
    }
    if (typeof choice === "object" && body.tools && !names.has(choice.function.name)) {
      ctx.addIssue({ code: "custom", path: ["tool_choice", "function", "name"], message: `no tool is named ${choice.function.name}` });
    }
    if (body.tools && choice !== "none" && body.response_format && body.response_format.type !== "text") {
      ctx.addIssue({ code: "custom", path: ["response_format"], message: "a JSON response_format cannot be combined with tools (both constrain the output)" });
    }
    // Every call is answered by a tool message, and every tool message answers a call before it.
    const open = new Map<string, string>();
    body.messages.forEach((m, i) => {
      if (m.role === "assistant") {
        m.tool_calls?.forEach((c, j) => {
          open.set(c.id, `messages[${i}].tool_calls[${j}]`);
          if (!isJsonObject(c.function.arguments)) {
            ctx.addIssue({ code: "custom", path: ["messages", i, "tool_calls", j, "function", "arguments"], message: "must be a JSON object as text" });
          }
        });
      }
      if (m.role === "tool") {
        if (!open.has(m.tool_call_id)) ctx.addIssue({ code: "custom", path: ["messages", i, "tool_call_id"], message: `answers no tool call before it (${m.tool_call_id})` });
        open.delete(m.tool_call_id);
      }
    });
    for (const [id, where] of open) {
      const [, i, j] = /^messages\[(\d+)\]\.tool_calls\[(\d+)\]$/.exec(where)!;
      ctx.addIssue({ code: "custom", path: ["messages", Number(i), "tool_calls", Number(j), "id"], message: `no tool message answers the call ${id}` });
    }
  });

function isJsonObject(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type ChatTool = z.infer<typeof toolSchema>;
export type ToolChoice = z.infer<typeof toolChoiceSchema>;
