import { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import { sanitizeText } from "../../shared/text/sanitizeText.js";
import type { AidbRuntime } from "../AidbRuntime.js";
import { searchQuerySchema } from "../api/searchContract.js";
import { searchChunks } from "../search/searchChunks.js";

/** GET /search?q=&project=&limit=&mode=hybrid|semantic|keyword&include_generated=&include_quarantined= */
export async function searchRoute(app: KernelApp, { runtime }: { runtime: AidbRuntime }) {
  const querySchema = searchQuerySchema(runtime.config.maxSearchLimit);
  app.get("/search", { schema: { querystring: querySchema } }, async (request) => {
    const q = request.query as z.infer<typeof querySchema>;
    const endTimer = runtime.metrics.searchSeconds.startTimer({ mode: q.mode });
    try {
      const results = await searchChunks(
        { search: runtime.search, documents: runtime.documents, embedder: runtime.queryEmbedder, scoring: runtime.config },
        {
          q: sanitizeText(q.q).text,
          mode: q.mode,
          limit: q.limit,
          filter: { project: q.project, includeGenerated: q.include_generated, includeQuarantined: q.include_quarantined },
          weights: await runtime.weights.current(),
        },
      );
      return { query: q.q, mode: q.mode, results };
    } finally {
      endTimer();
    }
  });
}
