import type { KernelApp } from "../../shared/http/buildKernel.js";
import { HttpError } from "../../shared/http/HttpError.js";
import { rerankRequestSchema, type RerankRequest } from "../api/rerankRequestSchema.js";
import type { RerankResponse } from "../api/rerankResponseSchema.js";
import type { InferenceRuntime } from "../InferenceRuntime.js";

/**
 * POST /v1/rerank `{query, documents[]}` -> results sorted by relevance:
 * `[{index, relevance_score}]`. 501 when no reranker is loaded.
 */
export async function rerankRoute(app: KernelApp, { runtime }: { runtime: InferenceRuntime }) {
  app.post("/v1/rerank", { schema: { body: rerankRequestSchema } }, async (request) => {
    const body = request.body as RerankRequest;
    const rerank = runtime.rerank;
    if (!rerank) {
      throw new HttpError(
        501,
        "rerank_not_configured",
        runtime.loadErrors.rerank
          ? `the reranker failed to load: ${runtime.loadErrors.rerank}`
          : "no reranker is loaded; start the service with --rerank-model FILE (a model with a classifier head)",
      );
    }
    if (body.documents.length > runtime.config.maxInputsPerRequest) {
      throw new HttpError(400, "too_many_inputs", `documents has ${body.documents.length} entries; the limit is ${runtime.config.maxInputsPerRequest}`, {
        fields: [{ path: "body.documents", message: `at most ${runtime.config.maxInputsPerRequest} documents` }],
      });
    }
    const queryTokens = rerank.countTokens(body.query);
    body.documents.forEach((doc, i) => {
      const tokens = queryTokens + rerank.countTokens(doc);
      if (tokens > rerank.maxInputTokens) {
        throw new HttpError(
          400,
          "input_too_long",
          `query plus documents[${i}] is ${tokens} tokens; the reranker accepts at most ${rerank.maxInputTokens}`,
          { index: i, tokens, max_tokens: rerank.maxInputTokens },
        );
      }
    });
    const endTimer = runtime.metrics.requestDuration.startTimer({ endpoint: "rerank" });
    try {
      const scores = await rerank.rank(body.query, body.documents);
      const results = scores
        .map((relevance_score, index) => ({
          index,
          relevance_score,
          ...(body.return_documents ? { document: { text: body.documents[index] } } : {}),
        }))
        .sort((a, b) => b.relevance_score - a.relevance_score)
        .slice(0, body.top_n ?? scores.length);
      return { object: "list", model: rerank.info.name ?? rerank.info.path, results } satisfies RerankResponse;
    } finally {
      endTimer();
    }
  });
}
