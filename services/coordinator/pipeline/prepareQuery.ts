import { createHash, randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { assignVariant } from "../cache/assignVariant.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { decideRoute } from "../routing/decideRoute.js";
import { normaliseQueryText } from "../../shared/text/hashQueryText.js";
import { gatherContext } from "./gatherContext.js";
import { lookupCachedAnswer } from "./lookupCachedAnswer.js";
import type { PrepareInput, PreparedQuery, Timings } from "./PreparedQuery.js";
import { readQuestion } from "./readQuestion.js";
import { scoreContextQuality } from "./scoreContextQuality.js";
import { startRetrieval } from "./startRetrieval.js";

export type { PrepareInput, PreparedQuery, Timings } from "./PreparedQuery.js";

/**
 * The exact-match key: the normalised question (secrets redacted, so no
 * secret is ever hashed into a Redis key) plus everything else that shapes
 * the answer.
 */
function hashQuery(query: string, project: string | undefined, extra: unknown): string {
  return createHash("sha256").update(JSON.stringify([normaliseQueryText(query), project ?? null, extra ?? null])).digest("hex");
}

/**
 * Everything before generation, each stage timed: read the question
 * (sanitize, expand), look the answer up in the semantic cache, then on a
 * miss retrieve, rerank and compress the context, and decide the route.
 * Returns a `cached` question on a hit and a `ready` one otherwise.
 */
export async function prepareQuery(rt: CoordinatorRuntime, input: PrepareInput, parentLog: Logger, signal?: AbortSignal): Promise<PreparedQuery> {
  const started = performance.now();
  const id = randomUUID();
  const log = parentLog.child({ interaction_id: id });

  const question = readQuestion(rt, input.query, log);
  const timings: Timings = {
    sanitize_ms: question.sanitizeMs,
    cache_ms: 0,
    expand_ms: question.expandMs,
    retrieve_ms: 0,
    rerank_ms: 0,
    compress_ms: 0,
    generate_ms: 0,
    total_ms: 0,
  };
  const variant = assignVariant(rt.config.abVariantBFraction);
  const queryHash = hashQuery(question.query, input.project, input.cacheKeyExtra);
  // The local model's health is needed for the cache scope (which model
  // answers), the context budget and the route. The probe's result is
  // shared and reused for healthCacheMs, so this is rarely a request.
  const health = rt.localProbe.check();
  const retrieval = startRetrieval(rt, input, question, log, signal);
  const cacheModel = (await health).modelId;

  const cached = await lookupCachedAnswer(rt, { input, query: question.query, variant, queryHash, retrieval, model: cacheModel }, log, signal);
  timings.cache_ms = cached.cacheMs;
  const base = { id, endpoint: input.endpoint, started, query: question.query, expanded: question.expanded, project: input.project, variant, queryHash, cacheModel, timings, log };

  if (cached.lookup.hit) {
    if (retrieval.started) void retrieval.start().catch(() => {});
    const entry = cached.lookup.entry;
    return {
      ...base,
      kind: "cached",
      cache: { hit: true, variant, kind: cached.lookup.kind, similarity: cached.lookup.similarity },
      entry,
      passages: [],
      context: { sources: [], tokens_before: 0, tokens_after: 0, compressed: false, retrieval: input.retrieval ? "hybrid" : "disabled", rerank: { applied: false, reason: "cache hit" } },
      // The best retrieval score of the answer's own retrieval: a weak one is still a knowledge gap.
      bestScore: typeof entry.best_score === "number" ? entry.best_score : null,
    };
  }

  const retrieved = await retrieval.start();
  timings.expand_ms += retrieved.rewriteMs;
  timings.retrieve_ms = Math.round(retrieved.retrieveMs * 100) / 100;
  const probed = await health;
  const gathered = await gatherContext(rt, { input, query: question.query, retrieval: retrieved, contextSize: probed.contextSize }, log, signal);
  timings.rerank_ms = gathered.rerankMs;
  timings.compress_ms = gathered.compressMs;

  const bestScore = retrieved.sources.length ? Math.max(...retrieved.sources.map((s) => s.score)) : input.retrieval && !retrieved.error ? 0 : null;
  const localConfidence = scoreContextQuality(retrieved.sources);
  const decision = decideRoute(rt, { input, health: probed, localConfidence, variant }, log);

  return {
    ...base,
    kind: "ready",
    embedding: cached.embedding,
    cache: { hit: false, variant, ...(cached.lookup.reason && { reason: cached.lookup.reason }) },
    cacheStamps: cached.lookup.stamps,
    sources: gathered.sources,
    passages: gathered.passages,
    context: gathered.context,
    bestScore,
    localConfidence,
    decision,
    ...(probed.loadProgressPct !== undefined && { localLoadProgressPct: probed.loadProgressPct }),
  };
}
