import type { CallOptions } from "../../shared/http/createServiceClient.js";
import { createServiceClient } from "../../shared/http/createServiceClient.js";
import { createChatCompletionsClient, type ChatCompletionsClient } from "./createChatCompletionsClient.js";
import type { EmbeddingsRequest } from "./embeddingsRequestSchema.js";
import { embeddingsResponseSchema, type EmbeddingsResponse } from "./embeddingsResponseSchema.js";
import { inferenceStatusReadSchema, type InferenceStatusView } from "./inferenceStatusSchema.js";
import { modelListSchema, type ModelList } from "./modelListSchema.js";
import type { RerankRequest } from "./rerankRequestSchema.js";
import { rerankResponseSchema, type RerankResponse } from "./rerankResponseSchema.js";

export interface InferenceClientOptions {
  /** The service's root, e.g. http://127.0.0.1:8080 (a trailing slash is dropped). */
  baseUrl: string;
  /** Per call, unless the call gives its own. */
  timeoutMs: number;
  /** Names the service in errors: "local inference", "embeddings", "reranker"... Default "inference". */
  service?: string;
  /** Sent as a bearer token with every call (the stack's internal key when keys are enforced). */
  apiKey?: string;
}

/** What a caller may set on one call: its cancellation and its own timeout. */
export type InferenceCallOptions = Pick<CallOptions, "signal" | "timeoutMs">;

export interface InferenceClient {
  readonly service: string;
  readonly baseUrl: string;
  /** GET /health: resolves when the process answers 2xx. */
  health(opts?: InferenceCallOptions): Promise<void>;
  /** GET /ready: resolves when every configured model is loaded (503 otherwise, as a ServiceError). */
  ready(opts?: InferenceCallOptions): Promise<void>;
  /** GET /status, read tolerantly (any field may be missing). */
  status(opts?: InferenceCallOptions): Promise<InferenceStatusView>;
  /** GET /v1/models. */
  models(opts?: InferenceCallOptions): Promise<ModelList>;
  /** POST /v1/embeddings (float vectors); more texts than the server's limit is a 400 `too_many_inputs` with its `limit` (tooManyInputsErrorSchema). */
  embeddings(request: EmbeddingsRequest & { encoding_format?: "float" }, opts?: InferenceCallOptions): Promise<EmbeddingsResponse>;
  /** POST /v1/rerank. */
  rerank(request: RerankRequest, opts?: InferenceCallOptions): Promise<RerankResponse>;
  /** POST /v1/chat/completions, JSON or streamed (the call's timeout covers the whole answer). */
  chat: ChatCompletionsClient;
}

/**
 * The one client of the inference service, on the shared service client:
 * every failure is a ServiceError (with the service's error code and
 * fields), answers are checked against the contract's schemas, and the id
 * of the request being served goes along as x-request-id.
 */
export function createInferenceClient(opts: InferenceClientOptions): InferenceClient {
  const service = opts.service ?? "inference";
  const http = createServiceClient({ service, baseUrl: opts.baseUrl, timeoutMs: opts.timeoutMs, apiKey: opts.apiKey });
  const drain = async (response: Response) => {
    await response.body?.cancel();
  };
  return {
    service,
    baseUrl: http.baseUrl,
    health: async (o) => drain(await http.fetch("/health", o)),
    ready: async (o) => drain(await http.fetch("/ready", o)),
    status: (o) => http.json("/status", inferenceStatusReadSchema, o),
    models: (o) => http.json("/v1/models", modelListSchema, o),
    embeddings: (request, o) => http.json("/v1/embeddings", embeddingsResponseSchema, { ...o, body: request }),
    rerank: (request, o) => http.json("/v1/rerank", rerankResponseSchema, { ...o, body: request }),
    chat: createChatCompletionsClient({ service, apiBase: `${http.baseUrl}/v1`, timeoutMs: opts.timeoutMs, apiKey: opts.apiKey }),
  };
}
