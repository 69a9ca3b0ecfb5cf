import { createChatCompletionsClient, type ChatCompletionsClient } from "../../inference/api/createChatCompletionsClient.js";

export type { ChatCompletion } from "../../inference/api/chatCompletionSchema.js";
export type { ChatStream } from "../../inference/api/createChatCompletionsClient.js";

export interface ChatBackendOptions {
  name: "local" | "remote";
  /** Where chat completions go: `<inference>/v1` for local, the API base for a remote. */
  apiBase: string;
  /** Bearer token (the remote's key). */
  apiKey?: string;
  /** Model name to send; undefined keeps the request's. */
  model?: string;
  timeoutMs: number;
}

/** A backend the coordinator generates with: the inference contract's chat client, named for routing. */
export interface ChatBackend extends ChatCompletionsClient {
  readonly name: "local" | "remote";
}

/**
 * The local backend (our inference service) or the remote one (any
 * OpenAI-compatible API with a key): the same chat completions client, so
 * both fail with ServiceErrors that fallback decisions read.
 */
export function createChatBackend(opts: ChatBackendOptions): ChatBackend {
  const client = createChatCompletionsClient({
    service: opts.name === "local" ? "local inference" : "remote LLM",
    apiBase: opts.apiBase,
    apiKey: opts.apiKey,
    model: opts.model,
    timeoutMs: opts.timeoutMs,
  });
  return { ...client, name: opts.name };
}
