import { z } from "zod";
import { toolChoiceSchema, toolSchema } from "../../inference/api/chatCompletionRequestSchema.js";
import { inferenceLimits } from "../../inference/api/inferenceLimits.js";
import { maxProjectChars } from "./queryContract.js";

// The coordinator's POST /v1/chat/completions: the OpenAI-compatible front
// door. Its answers are OpenAI's (a completion, or its chunks as SSE).

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const content = z.union([z.string(), z.array(z.union([textPart, z.object({ type: z.string() }).passthrough()])).min(1)]).nullable();

const message = z
  .object({
    role: z.enum(["system", "developer", "user", "assistant", "tool"]),
    content,
    name: z.string().max(256).optional(),
  })
  .passthrough();

/**
 * The OpenAI chat completions request the front door accepts. Fields OpenAI
 * clients commonly add (user, metadata...) are allowed and not forwarded;
 * the known ones are checked. `model` picks the route (modelsContract):
 * `ai-stack` or none routed, `local/...` and `remote/...` forced, any other
 * id a 404. Tools (`tools`, `tool_choice`, `parallel_tool_calls`, assistant
 * `tool_calls` and `tool` messages) are forwarded to the backend, and
 * `stream_options` too when streaming. Our extensions: `retrieval`
 * (default true), `project`, `force_local`, `force_remote`.
 */
export const chatRequestSchema = z
  .object({
    model: z.string().max(200).optional(),
    messages: z.array(message).min(1, "messages must not be empty").max(1000),
    stream: z.boolean().default(false),
    max_tokens: z.number().int().min(1).optional(),
    max_completion_tokens: z.number().int().min(1).optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    seed: z.number().int().optional(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
    n: z.literal(1).optional(),
    response_format: z.object({ type: z.enum(["text", "json_object", "json_schema"]) }).passthrough().optional(),
    tools: z.array(toolSchema).min(1, "tools must not be empty").max(inferenceLimits.maxTools).optional(),
    tool_choice: toolChoiceSchema.optional(),
    parallel_tool_calls: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullish(),
    retrieval: z.boolean().default(true),
    project: z.string().trim().min(1).max(maxProjectChars).optional(),
    force_local: z.boolean().default(false),
    force_remote: z.boolean().default(false),
  })
  .passthrough()
  .superRefine((body, ctx) => {
    if (body.force_local && body.force_remote) {
      const message = "force_local and force_remote cannot both be true";
      ctx.addIssue({ code: "custom", path: ["force_local"], message });
      ctx.addIssue({ code: "custom", path: ["force_remote"], message });
    }
    if (!body.messages.some((m) => m.role === "user")) {
      ctx.addIssue({ code: "custom", path: ["messages"], message: "needs at least one user message" });
    }
    const choice = body.tool_choice;
    if (choice !== undefined && choice !== "none" && !body.tools) ctx.addIssue({ code: "custom", path: ["tool_choice"], message: "needs tools" });
    if (typeof choice === "object" && body.tools && !body.tools.some((t) => t.function.name === choice.function.name)) {
      ctx.addIssue({ code: "custom", path: ["tool_choice", "function", "name"], message: `no tool is named ${choice.function.name}` });
    }
  });

export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** Text of a message's content (text parts joined). */
export function messageText(c: ChatRequest["messages"][number]["content"]): string {
  if (c === null) return "";
  if (typeof c === "string") return c;
  return c.map((p) => (p.type === "text" && typeof (p as { text?: unknown }).text === "string" ? (p as { text: string }).text : "")).join("\n");
}

/** Whether the request has tools the model may call (tools, and tool_choice other than "none"). */
export function toolsRequested(body: Pick<ChatRequest, "tools" | "tool_choice">): boolean {
  return body.tools !== undefined && body.tools.length > 0 && body.tool_choice !== "none";
}

/** The sampling and tool fields passed on to the backend. */
export const forwardedFields = [
  "max_tokens",
  "temperature",
  "top_p",
  "top_k",
  "seed",
  "stop",
  "presence_penalty",
  "frequency_penalty",
  "response_format",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
] as const;
