import type { KernelApp } from "../../shared/http/buildKernel.js";
import { ServiceError } from "../../shared/http/ServiceError.js";
import { encodeEmbeddingBase64 } from "../../inference/api/embeddingBase64.js";
import { embeddingsRequestSchema, type EmbeddingsRequest } from "../../inference/api/embeddingsRequestSchema.js";
import type { EmbeddingsBase64Response, EmbeddingsResponse } from "../../inference/api/embeddingsResponseSchema.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { toHttpError } from "../pipeline/generateAnswer.js";

/**
 * POST /v1/embeddings on the coordinator, so OpenAI clients need one base
 * URL: the inference contract's request, answered by the embeddings service
 * (`embeddingsUrl`) through the coordinator's embedding cache (the one the
 * semantic cache uses: a text embedded before costs no call). Vectors come
 * back as floats or base64, as asked; `dimensions` goes to the service
 * uncached (it refuses a size its model cannot give); token arrays are
 * refused by the contract. `model` is not checked: there is one embedding
 * model, and the answer names it.
 */
export async function embeddingsRoute(app: KernelApp, { runtime: rt }: { runtime: CoordinatorRuntime }) {
  app.post("/v1/embeddings", { schema: { body: embeddingsRequestSchema } }, async (request) => {
    // The schema refuses token arrays, so the input is text.
    const body = request.body as EmbeddingsRequest;
    const texts = typeof body.input === "string" ? [body.input] : body.input;
    let result;
    try {
      result = await rt.embedder.embedMany(texts, undefined, { dimensions: body.dimensions });
    } catch (err) {
      rt.metrics.backendErrors.inc({ backend: "embeddings", kind: err instanceof ServiceError ? (err.kind === "http" ? `http_${err.status}` : err.kind) : "error" });
      throw toHttpError(err);
    }
    rt.metrics.embeddingTexts.inc({ cache: "hit" }, result.cached);
    rt.metrics.embeddingTexts.inc({ cache: "miss" }, texts.length - result.cached);
    const answer = {
      object: "list" as const,
      model: result.model ?? body.model ?? "embeddings",
      usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
    };
    if (body.encoding_format === "base64") {
      return { ...answer, data: result.vectors.map((v, index) => ({ object: "embedding" as const, index, embedding: encodeEmbeddingBase64(v) })) } satisfies EmbeddingsBase64Response;
    }
    return { ...answer, data: result.vectors.map((embedding, index) => ({ object: "embedding" as const, index, embedding })) } satisfies EmbeddingsResponse;
  });
}
