import type { Logger } from "pino";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { compressContext } from "./compressContext.js";
import { estimateTokens } from "./estimateTokens.js";
import type { AnswerContext, Passage, PrepareInput } from "./PreparedQuery.js";
import { rerankSources, type Retrieval, type RetrievedSource } from "./retrieveContext.js";
import { screenPassages } from "./screenPassages.js";

export interface GatheredContext {
  /** Retrieved (and reranked) sources. */
  sources: RetrievedSource[];
  /** What goes into the prompt, compressed to the budget. */
  passages: Passage[];
  context: AnswerContext;
  rerankMs: number;
  compressMs: number;
}

const round = (x: number) => Math.round(x * 10000) / 10000;

/**
 * Stages 4 and 5: rerank the retrieved sources (when a reranker is
 * configured), drop or fence those that score as prompt injections
 * (screenPassages), and compress them to the token budget, capped to what the
 * local model's context can hold (`contextSize`, when its probe knows it).
 */
export async function gatherContext(
  rt: CoordinatorRuntime,
  req: { input: PrepareInput; query: string; retrieval: Retrieval; contextSize?: number },
  log: Logger,
  signal?: AbortSignal,
): Promise<GatheredContext> {
  const { input, query, retrieval } = req;
  const reranked = input.retrieval
    ? await rerankSources(rt, query, retrieval.sources, signal)
    : { sources: [], applied: false, reason: "retrieval disabled", rerankMs: 0 };
  // Every passage is scanned for prompt injection before it can reach a prompt.
  const sources = screenPassages(rt, reranked.sources, log);

  const t = performance.now();
  const budget = contextBudget(rt.config, req.contextSize, query);
  const compressed = compressContext({
    query,
    passages: sources.map((s) => ({ id: s.chunk_id, text: s.text })),
    budgetTokens: budget,
    countTokens: estimateTokens,
    enabled: rt.config.compressionEnabled,
  });
  const byChunk = new Map(sources.map((s) => [s.chunk_id, s]));
  const passages: Passage[] = compressed.passages.flatMap((p) => {
    const s = byChunk.get(p.id);
    return s ? [{ ...p, title: s.title, document_id: s.document_id, score: s.score }] : [];
  });
  const compressMs = Math.round((performance.now() - t) * 100) / 100;
  if (input.retrieval && sources.length) {
    rt.metrics.compressionBefore.observe(compressed.tokensBefore);
    rt.metrics.compressionAfter.observe(compressed.tokensAfter);
    log.info(
      { event: "context_compression", tokens_before: compressed.tokensBefore, tokens_after: compressed.tokensAfter, budget, steps: compressed.steps },
      `context_compression tokens_before=${compressed.tokensBefore} tokens_after=${compressed.tokensAfter}`,
    );
  }
  const kept = new Set(passages.map((p) => p.id));
  return {
    sources,
    passages,
    context: {
      sources: sources
        .filter((s) => kept.has(s.chunk_id))
        .map((s) => ({ document_id: s.document_id, title: s.title, score: round(s.score), ...(s.rerank_score !== undefined && { rerank_score: round(s.rerank_score) }) })),
      tokens_before: compressed.tokensBefore,
      tokens_after: compressed.tokensAfter,
      compressed: compressed.compressed,
      retrieval: input.retrieval ? "hybrid" : "disabled",
      rerank: { applied: reranked.applied, ...(reranked.reason && { reason: reranked.reason }) },
      ...(retrieval.error && { retrieval_error: retrieval.error }),
    },
    rerankMs: Math.round(reranked.rerankMs * 100) / 100,
    compressMs,
  };
}

/**
 * The context budget: the configured one, capped so the prompt and the
 * answer fit the local model's context (per sequence) when it is known. The
 * cap assumes text may cost up to half a token per character (1.5 times the
 * estimate), because an overflow is refused by the model server.
 */
function contextBudget(config: CoordinatorRuntime["config"], contextSize: number | undefined, query: string): number {
  const configured = config.contextTokenBudget;
  if (!contextSize) return configured;
  const reserve = config.maxTokens + Math.ceil(query.length / 2) + 256; // question, instructions, chat template
  return Math.max(0, Math.min(configured, Math.floor(((contextSize - reserve) * 2) / 3)));
}
