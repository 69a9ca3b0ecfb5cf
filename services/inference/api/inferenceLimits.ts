/**
 * Limits of the inference service's HTTP API that clients must respect.
 * The server's configuration (inferenceConfigSchema) takes its defaults and
 * bounds from here; a server may be configured lower, and then says so in a
 * 400 `too_many_inputs` with its `limit` (tooManyInputsErrorSchema).
 */
export const inferenceLimits = {
  /** Texts in one /v1/embeddings request and documents in one /v1/rerank, unless the server is configured otherwise. */
  defaultMaxInputsPerRequest: 2048,
  /** The most a server may be configured to accept per request. */
  maxInputsPerRequest: 100_000,
  /** Stop sequences in one chat completion request (OpenAI's limit). */
  maxStopSequences: 4,
  /** Tools in one chat completion request (OpenAI's limit). */
  maxTools: 128,
} as const;
