import { createHash, randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { assignVariant } from "../cache/assignVariant.js";
import type { CacheStamps, CachedAnswer } from "../cache/SemanticCache.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { selectLlmBackend, type BackendDecision } from "../routing/selectLlmBackend.js";
import { compressContext, type ContextPassage } from "./compressContext.js";
import { estimateTokens } from "./estimateTokens.js";
import { expandQuery } from "./expandQuery.js";
import { rerankSources, retrieveContext, type Retrieval, type RetrievedSource } from "./retrieveContext.js";
import { rewriteQuery } from "./rewriteQuery.js";
import { sanitizeQuery } from "./sanitizeQuery.js";
import { normaliseQueryText } from "../store/hashQueryText.js";
import { scoreContextQuality } from "./scoreContextQuality.js";

export interface PrepareInput {
  endpoint: "query" | "chat";
  /** The question: /query's `query`, or the front door's last user message. */
  query: string;
  project?: string;
  forceLocal?: boolean;
  forceRemote?: boolean;
  preferLocal?: boolean;
  structuredOutput: boolean;
  includeGenerated: boolean;
  /** Retrieval augmentation (the front door can turn it off per request). */
  retrieval: boolean;
  /** Whatever else decides the answer (response_format, flags, the conversation): part of the exact cache key. */
  cacheKeyExtra: unknown;
  /** Whether a merely similar question may be answered from the cache (plain questions only). */
  semanticCache: boolean;
}

export interface Timings {
  sanitize_ms: number;
  cache_ms: number;
  expand_ms: number;
  retrieve_ms: number;
  rerank_ms: number;
  compress_ms: number;
  generate_ms: number;
  total_ms: number;
}

export type Passage = ContextPassage & { title: string | null; document_id: string; score: number };

export interface Prepared {
  id: string;
  endpoint: PrepareInput["endpoint"];
  started: number;
  query: string;
  expanded: string;
  project?: string;
  variant: "A" | "B";
  queryHash: string;
  timings: Timings;
  cache: { hit: boolean; variant: "A" | "B"; kind?: string; similarity?: number; reason?: string };
  /** The cached answer on a hit. */
  cached?: CachedAnswer;
  /** Kept to store the answer in the semantic cache afterwards. */
  embedding?: number[];
  cacheStamps?: CacheStamps;
  sources: RetrievedSource[];
  passages: Passage[];
  context: {
    sources: { document_id: string; title: string | null; score: number; rerank_score?: number }[];
    tokens_before: number;
    tokens_after: number;
    compressed: boolean;
    retrieval: "hybrid" | "disabled";
    rerank: { applied: boolean; reason?: string };
    retrieval_error?: string;
  };
  bestScore: number | null;
  localConfidence: number;
  decision?: BackendDecision;
  log: Logger;
}

const ms = (from: number, to = performance.now()) => Math.round((to - from) * 100) / 100;

/**
 * The exact-match key: the normalised question (secrets redacted, so no
 * secret is ever hashed into a Redis key) plus everything else that shapes
 * the answer.
 */
function hashQuery(query: string, project: string | undefined, extra: unknown): string {
  return createHash("sha256").update(JSON.stringify([normaliseQueryText(query), project ?? null, extra ?? null])).digest("hex");
}

/**
 * Stages 1–6 of the pipeline, each timed: sanitize, semantic-cache lookup,
 * expand, retrieve, rerank, compress, then the backend selection. The
 * semantic lookup's embedding call starts retrieval at the same moment, so
 * an exact miss pays for one, not both. Returns early on a cache hit.
 */
export async function prepareQuery(rt: CoordinatorRuntime, input: PrepareInput, parentLog: Logger, signal?: AbortSignal): Promise<Prepared> {
  const started = performance.now();
  const id = randomUUID();
  const log = parentLog.child({ interaction_id: id });
  const timings: Timings = { sanitize_ms: 0, cache_ms: 0, expand_ms: 0, retrieve_ms: 0, rerank_ms: 0, compress_ms: 0, generate_ms: 0, total_ms: 0 };

  // 1. Sanitize.
  let t = performance.now();
  const sanitized = sanitizeQuery(input.query, { maxChars: rt.config.maxQueryChars });
  timings.sanitize_ms = ms(t);
  if (sanitized.removed > 0) {
    rt.metrics.inputSanitized.inc();
    log.info({ event: "input_sanitized", input_sanitized: true, chars_removed: sanitized.removed }, "invisible or control characters removed from the query");
  }
  const query = sanitized.text;

  // 2. Expand (synonyms; the optional rewrite runs with retrieval).
  t = performance.now();
  const expansion = expandQuery(query, rt.expansion);
  timings.expand_ms = ms(t);
  if (expansion.added.length) log.debug({ event: "query_expanded", added: expansion.added }, "query expanded");

  const variant = assignVariant(rt.config.abVariantBFraction);
  const queryHash = hashQuery(query, input.project, input.cacheKeyExtra);
  const probe = rt.localProbe.check();

  let retrievalPromise: Promise<Retrieval> | undefined;
  const startRetrieval = () =>
    (retrievalPromise ??= (async () => {
      if (!input.retrieval) return { sources: [], retrieveMs: 0 };
      const rewriteStarted = performance.now();
      const alternatives = await rewriteQuery(rt, query, log, signal);
      if (alternatives.length) {
        timings.expand_ms = ms(rewriteStarted) + timings.expand_ms;
        log.info({ event: "query_rewritten", alternatives }, "query rewritten");
      }
      return retrieveContext(rt, { queries: [expansion.expanded, ...alternatives], project: input.project, includeGenerated: input.includeGenerated }, signal);
    })());

  // Cache lookup: exact key first; a semantic lookup embeds the question.
  t = performance.now();
  let embedding: number[] | undefined;
  let embedMs = 0;
  const lookup = await rt.cache.lookup({
    project: input.project,
    namespace: input.endpoint,
    variant,
    queryHash,
    embed: input.semanticCache
      ? async () => {
          void startRetrieval();
          const e0 = performance.now();
          try {
            embedding = await rt.embedder.embed(query, signal);
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
  timings.cache_ms = ms(t);
  const base = {
    id,
    endpoint: input.endpoint,
    started,
    query,
    expanded: expansion.expanded,
    project: input.project,
    variant,
    queryHash,
    timings,
    embedding,
    log,
  };
  log.debug({ event: "semantic_cache", hit: lookup.hit, variant, embed_ms: Math.round(embedMs * 100) / 100 }, "cache lookup");

  if (lookup.hit) {
    void retrievalPromise?.catch(() => {});
    return {
      ...base,
      cache: { hit: true, variant, kind: lookup.kind, similarity: lookup.similarity },
      cached: lookup.entry,
      sources: [],
      passages: [],
      context: { sources: [], tokens_before: 0, tokens_after: 0, compressed: false, retrieval: input.retrieval ? "hybrid" : "disabled", rerank: { applied: false, reason: "cache hit" } },
      // The best retrieval score of the answer's own retrieval: a weak one is still a knowledge gap.
      bestScore: typeof lookup.entry.best_score === "number" ? lookup.entry.best_score : null,
      localConfidence: 0,
    };
  }

  // 3. Retrieve.
  const retrieval = await startRetrieval();
  timings.retrieve_ms = Math.round(retrieval.retrieveMs * 100) / 100;

  // 4. Rerank.
  const reranked = input.retrieval
    ? await rerankSources(rt, query, retrieval.sources, signal)
    : { sources: [], applied: false, reason: "retrieval disabled", rerankMs: 0 };
  timings.rerank_ms = Math.round(reranked.rerankMs * 100) / 100;
  const sources = reranked.sources;

  // 5. Compress to the budget (and to what the local context can hold).
  t = performance.now();
  const health = await probe;
  const budget = contextBudget(rt, health.contextSize, query);
  const compressed = compressContext({
    query,
    passages: sources.map((s) => ({ id: s.chunk_id, text: s.text })),
    budgetTokens: budget,
    countTokens: estimateTokens,
    enabled: rt.config.compressionEnabled,
  });
  const byChunk = new Map(sources.map((s) => [s.chunk_id, s]));
  const passages: Passage[] = compressed.passages.map((p) => {
    const s = byChunk.get(p.id)!;
    return { ...p, title: s.title, document_id: s.document_id, score: s.score };
  });
  timings.compress_ms = ms(t);
  if (input.retrieval && sources.length) {
    rt.metrics.compressionBefore.observe(compressed.tokensBefore);
    rt.metrics.compressionAfter.observe(compressed.tokensAfter);
    log.info(
      { event: "context_compression", tokens_before: compressed.tokensBefore, tokens_after: compressed.tokensAfter, budget, steps: compressed.steps },
      `context_compression tokens_before=${compressed.tokensBefore} tokens_after=${compressed.tokensAfter}`,
    );
  }

  // 6. Select the backend.
  const bestScore = retrieval.sources.length ? Math.max(...retrieval.sources.map((s) => s.score)) : input.retrieval && !retrieval.error ? 0 : null;
  const localConfidence = scoreContextQuality(retrieval.sources);
  rt.metrics.localHealthy.set(health.healthy ? 1 : 0);
  const circuit = rt.circuit();
  rt.metrics.remoteCircuit.set(circuit.state === "open" ? 1 : 0);
  const threshold = rt.routingConfig.current().threshold;
  const decision = selectLlmBackend({
    forceLocal: input.forceLocal,
    forceRemote: input.forceRemote,
    preferLocal: input.preferLocal,
    retrievalDisabled: !input.retrieval,
    local: {
      healthy: health.healthy,
      loading: health.loading,
      queueDepth: health.queueDepth ?? 0,
      queueLimit: health.queueLimit ?? Number.MAX_SAFE_INTEGER,
      structuredOutput: rt.config.localStructuredOutput,
    },
    remote: { configured: rt.remote !== undefined, circuit: circuit.state },
    structuredOutputRequested: input.structuredOutput,
    localConfidenceScore: localConfidence,
    threshold,
  });
  rt.routingMetrics.recordDecision(decision);
  log.info(
    {
      event: "llm_backend_selected",
      backend: decision.backend,
      reason: decision.reason,
      local_confidence_score: Math.round(localConfidence * 1000) / 1000,
      threshold,
      action: decision.action,
      ...(decision.fallback_reason && { fallback_reason: decision.fallback_reason }),
      ...(decision.routing_override && { routing_override: decision.routing_override }),
      ...(!health.healthy && { local_error: health.error }),
      variant,
    },
    "llm_backend_selected",
  );

  return {
    ...base,
    embedding,
    cache: { hit: false, variant, ...(lookup.reason && { reason: lookup.reason }) },
    cacheStamps: lookup.stamps,
    sources,
    passages,
    context: {
      sources: sources
        .filter((s) => passages.some((p) => p.id === s.chunk_id))
        .map((s) => ({ document_id: s.document_id, title: s.title, score: round(s.score), ...(s.rerank_score !== undefined && { rerank_score: round(s.rerank_score) }) })),
      tokens_before: compressed.tokensBefore,
      tokens_after: compressed.tokensAfter,
      compressed: compressed.compressed,
      retrieval: input.retrieval ? "hybrid" : "disabled",
      rerank: { applied: reranked.applied, ...(reranked.reason && { reason: reranked.reason }) },
      ...(retrieval.error && { retrieval_error: retrieval.error }),
    },
    bestScore,
    localConfidence,
    decision,
  };
}

const round = (x: number) => Math.round(x * 10000) / 10000;

/**
 * The context budget: the configured one, capped so the prompt and the
 * answer fit the local model's context (per sequence) when it is known. The
 * cap assumes text may cost up to half a token per character (1.5 times the
 * estimate), because an overflow is refused by the model server.
 */
function contextBudget(rt: CoordinatorRuntime, contextSize: number | undefined, query: string): number {
  const configured = rt.config.contextTokenBudget;
  if (!contextSize) return configured;
  const reserve = rt.config.maxTokens + Math.ceil(query.length / 2) + 256; // question, instructions, chat template
  return Math.max(0, Math.min(configured, Math.floor(((contextSize - reserve) * 2) / 3)));
}
