import { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import { sanitizeText } from "../../shared/text/sanitizeText.js";
import type { AidbRuntime } from "../AidbRuntime.js";
import { searchChunks, type SearchMode } from "../search/searchChunks.js";
import { queryBool, queryInt } from "../../shared/http/queryFields.js";

/** GET /search?q=&project=&limit=&mode=hybrid|semantic|keyword&include_generated=&include_quarantined= */
export async function searchRoute(app: KernelApp, { runtime }: { runtime: AidbRuntime }) {
  const querySchema = z.object({
    q: z.string().trim().min(1, "q is required").max(2000),
    project: z.string().min(1).optional(),
    limit: queryInt(1, runtime.config.maxSearchLimit).default(10),
    mode: z.enum(["hybrid", "semantic", "keyword"]).default("hybrid"),
    include_generated: queryBool().default(false),
    include_quarantined: queryBool().default(false),
  });
  app.get("/search", { schema: { querystring: querySchema } }, async (request) => {
    const q = request.query as z.infer<typeof querySchema>;
    const endTimer = runtime.metrics.searchSeconds.startTimer({ mode: q.mode });
    try {
      const results = await searchChunks(
        { search: runtime.search, documents: runtime.documents, embedder: runtime.embedder, scoring: runtime.config },
        {
          q: sanitizeText(q.q).text,
          mode: q.mode as SearchMode,
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
