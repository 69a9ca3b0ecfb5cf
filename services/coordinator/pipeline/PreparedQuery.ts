import type { Logger } from "pino";
import type { CacheStamps, CachedAnswer, Variant } from "../cache/SemanticCache.js";
import type { BackendDecision } from "../routing/selectLlmBackend.js";
import type { ContextPassage } from "./compressContext.js";
import type { RetrievedSource } from "./retrieveContext.js";

/** What a route asks of the pipeline: the question and everything that shapes its answer. */
export interface PrepareInput {
  endpoint: "query" | "chat";
  /** The question: /query's `query`, or the front door's last user message. */
  query: string;
  project?: string;
  forceLocal?: boolean;
  forceRemote?: boolean;
  preferLocal?: boolean;
  structuredOutput: boolean;
  /** The request has tools the model may call: routed to a backend that can call functions. */
  toolsRequested?: boolean;
  includeGenerated: boolean;
  /** Retrieval augmentation (the front door can turn it off per request). */
  retrieval: boolean;
  /** Whatever else decides the answer (response_format, flags, the conversation): part of the exact cache key. */
  cacheKeyExtra: unknown;
  /** Whether a merely similar question may be answered from the cache (plain questions only). */
  semanticCache: boolean;
}

/** Milliseconds per stage; filled in as the stages run, `total_ms` when the answer is finished. */
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

/** The retrieved context as the answer reports it. */
export interface AnswerContext {
  sources: { document_id: string; title: string | null; score: number; rerank_score?: number }[];
  tokens_before: number;
  tokens_after: number;
  compressed: boolean;
  retrieval: "hybrid" | "disabled";
  rerank: { applied: boolean; reason?: string };
  retrieval_error?: string;
}

/** What every prepared question carries, answered from the cache or not. */
export interface PreparedBase {
  id: string;
  endpoint: PrepareInput["endpoint"];
  /** performance.now() when the request reached the pipeline. */
  started: number;
  /** The sanitized question. */
  query: string;
  expanded: string;
  project?: string;
  variant: Variant;
  queryHash: string;
  /** The local chat model's identity when the question came (the semantic cache's scope). */
  cacheModel?: string;
  timings: Timings;
  /** The best retrieval score behind the answer (null: nothing was searched). */
  bestScore: number | null;
  context: AnswerContext;
  passages: Passage[];
  log: Logger;
}

/** Answered from the semantic cache: nothing to generate. */
export interface CachedQuery extends PreparedBase {
  kind: "cached";
  cache: { hit: true; variant: Variant; kind: "exact" | "semantic"; similarity: number };
  entry: CachedAnswer;
}

/** Ready to generate: context gathered, backend selected. */
export interface ReadyQuery extends PreparedBase {
  kind: "ready";
  cache: { hit: false; variant: Variant; reason?: string };
  /** Kept to store the answer in the semantic cache afterwards. */
  embedding?: number[];
  cacheStamps?: CacheStamps;
  sources: RetrievedSource[];
  localConfidence: number;
  decision: BackendDecision;
  /** The local model's download (or load) progress, when /status gave one. */
  localLoadProgressPct?: number;
}

export type PreparedQuery = CachedQuery | ReadyQuery;
