import type { KernelApp } from "../../shared/http/buildKernel.js";
import { HttpError } from "../../shared/http/HttpError.js";
import { encodeEmbeddingBase64 } from "../api/embeddingBase64.js";
import { embeddingsRequestSchema, type EmbeddingsRequest } from "../api/embeddingsRequestSchema.js";
import type { EmbeddingsBase64Response, EmbeddingsResponse } from "../api/embeddingsResponseSchema.js";
import type { TooManyInputsError } from "../api/tooManyInputsErrorSchema.js";
import type { InferenceRuntime } from "../InferenceRuntime.js";

/**
 * POST /v1/embeddings, OpenAI-compatible; vectors are L2-normalised, as
 * float arrays or (`encoding_format: "base64"`) base64 of little-endian
 * float32. `dimensions` other than the model's own size is a 400 naming it.
 */
export async function embeddingsRoute(app: KernelApp, { runtime }: { runtime: InferenceRuntime }) {
  app.post("/v1/embeddings", { schema: { body: embeddingsRequestSchema } }, async (request) => {
    // The schema refuses token arrays, so the input is text.
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
    const dimensions = embed.engine.dimensions;
    if (body.dimensions !== undefined && body.dimensions !== dimensions) {
      const model = embed.engine.info.name ?? embed.engine.info.path;
      throw new HttpError(
        400,
        "dimensions_not_supported",
        `dimensions: the embedding model ${model} gives ${dimensions}-dimensional vectors and cannot shorten them; leave dimensions out or ask for ${dimensions}`,
        { param: "dimensions", fields: [{ path: "body.dimensions", message: `must be ${dimensions} (the model's size) or left out` }] },
      );
    }
    const texts = typeof body.input === "string" ? [body.input] : body.input;
    if (texts.length > runtime.config.maxInputsPerRequest) {
      const limit = runtime.config.maxInputsPerRequest;
      throw new HttpError(400, "too_many_inputs", `input has ${texts.length} texts; the limit is ${limit}`, {
        fields: [{ path: "body.input", message: `at most ${limit} texts` }],
        limit,
      } satisfies Pick<TooManyInputsError["error"], "limit"> & Record<string, unknown>);
    }
    let promptTokens = 0;
    texts.forEach((text, i) => {
      const tokens = embed.engine.countTokens(text);
      if (tokens > embed.engine.maxInputTokens) {
        throw new HttpError(
          400,
          "input_too_long",
          `input[${i}] is ${tokens} tokens; the embedding model accepts at most ${embed.engine.maxInputTokens}`,
          { param: `input[${i}]`, index: i, tokens, max_tokens: embed.engine.maxInputTokens },
        );
      }
      promptTokens += tokens;
    });
    const endTimer = runtime.metrics.requestDuration.startTimer({ endpoint: "embeddings" });
    try {
      const vectors = await embed.batcher.embed(texts);
      const answer = {
        object: "list" as const,
        model: embed.engine.info.name ?? embed.engine.info.path,
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      };
      if (body.encoding_format === "base64") {
        return {
          ...answer,
          data: vectors.map((v, index) => ({ object: "embedding" as const, index, embedding: encodeEmbeddingBase64(v) })),
        } satisfies EmbeddingsBase64Response;
      }
      return { ...answer, data: vectors.map((embedding, index) => ({ object: "embedding" as const, index, embedding })) } satisfies EmbeddingsResponse;
    } finally {
      endTimer();
    }
  });
}
