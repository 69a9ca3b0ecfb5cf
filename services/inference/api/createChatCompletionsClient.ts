import { createServiceClient, type ServiceClient } from "../../shared/http/createServiceClient.js";
import { fetchFailure, ServiceError } from "../../shared/http/ServiceError.js";
import { chatCompletionChunkSchema, streamDone } from "./chatCompletionChunkSchema.js";
import { chatCompletionSchema, type ChatCompletion } from "./chatCompletionSchema.js";
import { readSse } from "./readSse.js";

export interface ChatCompletionsClientOptions {
  /** Names the API in errors: "local inference", "remote LLM", ... */
  service: string;
  /** The API base that `/chat/completions` is under: `<inference>/v1`, or a provider's base URL. */
  apiBase: string;
  /** Sent as a bearer token (a remote API's key). */
  apiKey?: string;
  /** The model to ask for; undefined keeps the request's. */
  model?: string;
  /** For the whole call: until the answer is read, or the stream ends. */
  timeoutMs: number;
}

/** One piece of a streamed answer. */
export interface ChatDelta {
  content: string;
  finishReason?: string | null;
  /** The event's data as the API sent it (to pass SSE on unchanged). */
  raw: string;
}

export interface ChatStream {
  /** The content deltas, in order. Ends when the API sends [DONE] or closes. */
  deltas: AsyncIterable<ChatDelta>;
}

export interface ChatCompletionsClient {
  readonly service: string;
  /** The URL chat completions are posted to. */
  readonly url: string;
  /** A complete answer (`stream: false`). */
  complete(body: Record<string, unknown>, signal?: AbortSignal): Promise<ChatCompletion>;
  /** Starts a streamed answer (`stream: true`); resolves once the API accepted it, so a refusal is still an ordinary error. */
  stream(body: Record<string, unknown>, signal?: AbortSignal): Promise<ChatStream>;
}

/**
 * An OpenAI-compatible chat completions client: our inference service's
 * /v1/chat/completions, or any remote API with a key. Every failure,
 * mid-stream ones included, is a ServiceError: unreachable, timeout,
 * aborted, http (with the API's status, code and fields; an error event in
 * the stream is status 500) or invalid_response.
 */
export function createChatCompletionsClient(opts: ChatCompletionsClientOptions): ChatCompletionsClient {
  const http: ServiceClient = createServiceClient({
    service: opts.service,
    baseUrl: opts.apiBase,
    timeoutMs: opts.timeoutMs,
    ...(opts.apiKey && { headers: { authorization: `Bearer ${opts.apiKey}` } }),
  });
  const { service } = opts;
  const path = "/chat/completions";
  const url = `${http.baseUrl}${path}`;
  /** A failure while reading an accepted answer: the timeout or the caller's signal, or the connection dropped. */
  const readFailure = (err: unknown, signal?: AbortSignal) => (err instanceof ServiceError ? err : fetchFailure(service, url, err, opts.timeoutMs, signal));

  const post = (body: Record<string, unknown>, signal?: AbortSignal) =>
    http.fetch(path, { body: opts.model ? { ...body, model: opts.model } : body, signal });

  return {
    service,
    url,
    async complete(body, signal) {
      const response = await post({ ...body, stream: false }, signal);
      let json: unknown;
      try {
        json = await response.json();
      } catch (err) {
        throw readFailure(err, signal);
      }
      const parsed = chatCompletionSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ServiceError(service, "invalid_response", `${service} at ${url} answered an unexpected shape (${issue?.path.join(".") || "body"}: ${issue?.message})`, response.status);
      }
      return parsed.data;
    },
    async stream(body, signal) {
      const response = await post({ ...body, stream: true }, signal);
      if (!response.body) throw new ServiceError(service, "invalid_response", `${service} at ${url} sent no body`);
      const sse = response.body;
      async function* deltas(): AsyncGenerator<ChatDelta> {
        try {
          for await (const data of readSse(sse)) {
            if (data === streamDone) return;
            let event: unknown;
            try {
              event = JSON.parse(data);
            } catch {
              throw new ServiceError(service, "invalid_response", `${service} sent an event that is not JSON`);
            }
            const parsed = chatCompletionChunkSchema.safeParse(event);
            if (!parsed.success) throw new ServiceError(service, "invalid_response", `${service} sent an event of an unexpected shape`);
            const chunk = parsed.data;
            if (chunk.error) {
              const e = typeof chunk.error === "string" ? { message: chunk.error, code: undefined, type: undefined } : chunk.error;
              throw new ServiceError(service, "http", `${service} failed mid-stream: ${e.message ?? JSON.stringify(chunk.error)}`, 500, e.code ?? e.type);
            }
            const choice = chunk.choices?.[0];
            yield { content: choice?.delta?.content ?? "", finishReason: choice?.finish_reason, raw: data };
          }
        } catch (err) {
          throw readFailure(err, signal);
        }
      }
      return { deltas: deltas() };
    },
  };
}
