import type { Logger } from "pino";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import type { PrepareInput } from "./PreparedQuery.js";
import type { Question } from "./readQuestion.js";
import { retrieveContext, type Retrieval } from "./retrieveContext.js";
import { rewriteQuery } from "./rewriteQuery.js";

export interface RetrievalRun {
  /** Starts retrieval on the first call; later calls return the same promise. */
  start(): Promise<Retrieval & { rewriteMs: number }>;
  /** Whether it was started (a cache hit drops a started run). */
  readonly started: boolean;
}

/**
 * Stage 3, started lazily: the optional LLM rewrite, then hybrid search for
 * the expanded question and its rewrites. The semantic-cache lookup starts it
 * when it has to embed the question, so an exact miss waits for one round
 * trip, not two.
 */
export function startRetrieval(rt: CoordinatorRuntime, input: PrepareInput, question: Question, log: Logger, signal?: AbortSignal): RetrievalRun {
  let run: Promise<Retrieval & { rewriteMs: number }> | undefined;
  return {
    get started() {
      return run !== undefined;
    },
    start: () =>
      (run ??= (async () => {
        if (!input.retrieval) return { sources: [], retrieveMs: 0, rewriteMs: 0 };
        const t = performance.now();
        const alternatives = await rewriteQuery(rt, question.query, log, signal);
        const rewriteMs = alternatives.length ? Math.round((performance.now() - t) * 100) / 100 : 0;
        if (alternatives.length) log.info({ event: "query_rewritten", alternatives }, "query rewritten");
        const retrieval = await retrieveContext(rt, { queries: [question.expanded, ...alternatives], project: input.project, includeGenerated: input.includeGenerated }, signal);
        return { ...retrieval, rewriteMs };
      })()),
  };
}
