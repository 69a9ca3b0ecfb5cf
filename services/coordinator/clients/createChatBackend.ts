import { ServiceError, fetchFailure, httpFailure } from "../../shared/http/ServiceError.js";
import { readSse } from "./readSse.js";
import { timeoutSignal } from "../../shared/http/timeoutSignal.js";

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

/** The OpenAI chat completion object, as far as the coordinator reads it. */
export interface ChatCompletion {
  id?: string;
  choices: { index: number; message: { role: string; content: string | null }; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  [key: string]: unknown;
}

export interface ChatStream {
  /** The content deltas, in order. Ends when the backend sends [DONE] or closes. */
  deltas: AsyncIterable<{ content: string; finishReason?: string | null; raw: string }>;
}

export interface ChatBackend {
  readonly name: "local" | "remote";
  readonly url: string;
  complete(body: Record<string, unknown>, signal?: AbortSignal): Promise<ChatCompletion>;
  /** Starts a streamed completion; resolves once the backend accepted it (so a refusal can still fall back). */
  stream(body: Record<string, unknown>, signal?: AbortSignal): Promise<ChatStream>;
  /** The raw streamed response, for passing SSE through unchanged. */
  raw(body: Record<string, unknown>, signal?: AbortSignal): Promise<Response>;
}

/** An OpenAI-compatible chat completions client (our inference service, or any remote API). */
export function createChatBackend(opts: ChatBackendOptions): ChatBackend {
  const url = `${opts.apiBase.replace(/\/+$/, "")}/chat/completions`;
  const service = opts.name === "local" ? "local inference" : "remote LLM";
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;

  async function post(body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
    const payload = opts.model ? { ...body, model: opts.model } : body;
    const combined = timeoutSignal(opts.timeoutMs, signal);
    let response: Response;
    try {
      response = await fetch(url, { method: "POST", headers, body: JSON.stringify(payload), signal: combined });
    } catch (err) {
      throw fetchFailure(service, url, err, opts.timeoutMs, signal);
    }
    if (!response.ok) throw await httpFailure(service, url, response);
    return response;
  }

  return {
    name: opts.name,
    url,
    async complete(body, signal) {
      const response = await post({ ...body, stream: false }, signal);
      let json: ChatCompletion;
      try {
        json = (await response.json()) as ChatCompletion;
      } catch (err) {
        throw fetchFailure(service, url, err, opts.timeoutMs, signal);
      }
      if (!Array.isArray(json?.choices) || !json.choices[0]?.message) {
        throw new ServiceError(service, "invalid_response", `${service} at ${url} answered without choices[0].message`);
      }
      return json;
    },
    async stream(body, signal) {
      const response = await post({ ...body, stream: true }, signal);
      if (!response.body) throw new ServiceError(service, "invalid_response", `${service} at ${url} sent no body`);
      const sse = response.body;
      async function* deltas() {
        try {
          for await (const data of readSse(sse)) {
            if (data === "[DONE]") return;
            let chunk: { choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[]; error?: unknown };
            try {
              chunk = JSON.parse(data);
            } catch {
              throw new ServiceError(service, "invalid_response", `${service} sent an event that is not JSON`);
            }
            if (chunk.error) {
              const e = chunk.error as { message?: string; code?: string };
              throw new ServiceError(service, "http", `${service} failed mid-stream: ${e.message ?? JSON.stringify(chunk.error)}`, 500, e.code);
            }
            const choice = chunk.choices?.[0];
            yield { content: choice?.delta?.content ?? "", finishReason: choice?.finish_reason, raw: data };
          }
        } catch (err) {
          if (err instanceof ServiceError) throw err;
          throw fetchFailure(service, url, err, opts.timeoutMs, signal);
        }
      }
      return { deltas: deltas() };
    },
    raw: (body, signal) => post(body, signal),
  };
}
