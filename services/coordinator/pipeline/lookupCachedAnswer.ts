import type { Logger } from "pino";
import type { LookupResult, Variant } from "../cache/SemanticCache.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import type { PrepareInput } from "./PreparedQuery.js";
import type { RetrievalRun } from "./startRetrieval.js";

export interface CacheLookupStage {
  lookup: LookupResult;
  /** The question's embedding, when the similarity search made one. */
  embedding?: number[];
  cacheMs: number;
}

/**
 * The semantic-cache stage: the exact key first; on an exact miss a
 * similarity search, which embeds the question and starts retrieval at the
 * same moment (retrieval is needed on a miss anyway).
 */
export async function lookupCachedAnswer(
  rt: Pick<CoordinatorRuntime, "cache" | "embedder" | "metrics" | "config">,
  req: { input: PrepareInput; query: string; variant: Variant; queryHash: string; retrieval: RetrievalRun; model?: string },
  log: Logger,
  signal?: AbortSignal,
): Promise<CacheLookupStage> {
  const t = performance.now();
  let embedding: number[] | undefined;
  let embedMs = 0;
  const lookup = await rt.cache.lookup({
    project: req.input.project,
    namespace: req.input.endpoint,
    variant: req.variant,
    model: req.model,
    queryHash: req.queryHash,
    embed: req.input.semanticCache
      ? async () => {
          void req.retrieval.start();
          const e0 = performance.now();
          try {
            // With the embedding model's query prefix (nomic-embed-text's `search_query: `), as aidb searches.
            embedding = await rt.embedder.embed((rt.config.embedQueryPrefix ?? "") + req.query, signal);
          } catch (err) {
            rt.metrics.backendErrors.inc({ backend: "embeddings", kind: (err as { kind?: string }).kind ?? "error" });
            throw err;
          } finally {
            embedMs = performance.now() - e0;
          }
          return embedding;
        }
      : undefined,
  });
  // The embedding call runs alongside retrieval; only its wait shows here.
  const cacheMs = Math.round((performance.now() - t) * 100) / 100;
  log.debug({ event: "semantic_cache", hit: lookup.hit, variant: req.variant, embed_ms: Math.round(embedMs * 100) / 100 }, "cache lookup");
  return { lookup, embedding, cacheMs };
}
