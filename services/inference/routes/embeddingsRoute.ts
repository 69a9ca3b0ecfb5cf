import type { KernelApp } from "../../shared/http/buildKernel.js";
import { HttpError } from "../../shared/http/HttpError.js";
import { embeddingsRequestSchema, type EmbeddingsRequest } from "../api/embeddingsRequestSchema.js";
import type { EmbeddingsResponse } from "../api/embeddingsResponseSchema.js";
import type { TooManyInputsError } from "../api/tooManyInputsErrorSchema.js";
import type { InferenceRuntime } from "../InferenceRuntime.js";

/** POST /v1/embeddings, OpenAI-compatible; vectors are L2-normalised. */
export async function embeddingsRoute(app: KernelApp, { runtime }: { runtime: InferenceRuntime }) {
  app.post("/v1/embeddings", { schema: { body: embeddingsRequestSchema } }, async (request) => {
    const body = request.body as EmbeddingsRequest;
    const embed = runtime.embed;
    if (!embed) {
      throw new HttpError(
        501,
        "embeddings_not_configured",
        runtime.loadErrors.embed
          ? `the embedding model failed to load: ${runtime.loadErrors.embed}`
          : "no embedding model is loaded; start the service with --embed-model FILE",
      );
    }
    const texts = typeof body.input === "string" ? [body.input] : body.input;
    if (texts.length > runtime.config.maxInputsPerRequest) {
      const limit = runtime.config.maxInputsPerRequest;
      throw new HttpError(400, "too_many_inputs", `input has ${texts.length} texts; the limit is ${limit}`, {
        fields: [{ path: "body.input", message: `at most ${limit} texts` }],
        limit,
      } satisfies Omit<TooManyInputsError, "error" | "message"> & Record<string, unknown>);
    }
    let promptTokens = 0;
    texts.forEach((text, i) => {
      const tokens = embed.engine.countTokens(text);
      if (tokens > embed.engine.maxInputTokens) {
        throw new HttpError(
          400,
          "input_too_long",
          `input[${i}] is ${tokens} tokens; the embedding model accepts at most ${embed.engine.maxInputTokens}`,
          { index: i, tokens, max_tokens: embed.engine.maxInputTokens },
        );
      }
      promptTokens += tokens;
    });
    const endTimer = runtime.metrics.requestDuration.startTimer({ endpoint: "embeddings" });
    try {
      const vectors = await embed.batcher.embed(texts);
      return {
        object: "list" as const,
        model: embed.engine.info.name ?? embed.engine.info.path,
        data: vectors.map((embedding, index) => ({ object: "embedding" as const, index, embedding })),
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      } satisfies EmbeddingsResponse;
    } finally {
      endTimer();
    }
  });
}
