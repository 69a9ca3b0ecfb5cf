import type { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import { HttpError } from "../../shared/http/HttpError.js";
import { ServiceError } from "../../shared/http/ServiceError.js";
import {
  learningRunRequestSchema,
  learningRunResponseSchema,
  learningSummarySchema,
  listProposalsQuerySchema,
  proposalDecisionRequestSchema,
  proposalIdParams,
  proposalListResponseSchema,
  storedProposalSchema,
  type LearningSummary,
} from "../api/proposalsContract.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { ProposalApplyError } from "../learning/ProposalApplyError.js";

const statusOf: Record<ProposalApplyError["code"], number> = {
  proposal_not_open: 409,
  proposal_invalid: 422,
  proposal_stale: 409,
  weekly_step_exceeded: 409,
  apply_failed: 500,
};

/** aidb down is a 503 naming it; anything else is the service's own answer. */
async function viaAidb<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProposalApplyError) throw new HttpError(statusOf[err.code], err.code, err.message, err.details);
    if (err instanceof ServiceError && err.kind !== "http") throw new HttpError(503, "store_unavailable", `aidb (which keeps the proposals) is unavailable: ${err.message}`);
    if (err instanceof ServiceError && err.status && err.status < 500) throw new HttpError(err.status, err.code ?? "aidb_refused", err.message);
    throw err;
  }
}

/**
 * The learning loop on the coordinator (api/proposalsContract.ts):
 * GET /proposals, GET /proposals/:id, POST /proposals/:id/approve|reject,
 * POST /learning/run (the weekly job), GET /learning/summary (the dashboard).
 */
export async function proposalsRoute(app: KernelApp, { runtime: rt }: { runtime: CoordinatorRuntime }) {
  const loop = rt.learning;

  app.get("/proposals", { schema: { querystring: listProposalsQuerySchema, response: { 200: proposalListResponseSchema } } }, async (request) => {
    const q = request.query as z.infer<typeof listProposalsQuerySchema>;
    return { proposals: await viaAidb(() => rt.aidb.learning.list(q)) };
  });

  app.get("/proposals/:id", { schema: { params: proposalIdParams, response: { 200: storedProposalSchema } } }, async (request) => {
    const { id } = request.params as z.infer<typeof proposalIdParams>;
    const found = await viaAidb(() => rt.aidb.learning.get(id));
    if (!found) throw new HttpError(404, "not_found", `no proposal ${id}`);
    return found;
  });

  app.post("/proposals/:id/approve", { schema: { params: proposalIdParams, body: proposalDecisionRequestSchema, response: { 200: storedProposalSchema } } }, async (request) => {
    const { id } = request.params as z.infer<typeof proposalIdParams>;
    const { actor, note } = request.body as z.infer<typeof proposalDecisionRequestSchema>;
    return viaAidb(() => loop.approve(id, { actor, note }));
  });

  app.post("/proposals/:id/reject", { schema: { params: proposalIdParams, body: proposalDecisionRequestSchema, response: { 200: storedProposalSchema } } }, async (request) => {
    const { id } = request.params as z.infer<typeof proposalIdParams>;
    const { actor, note } = request.body as z.infer<typeof proposalDecisionRequestSchema>;
    return viaAidb(() => loop.reject(id, { actor, note }));
  });

  app.post("/learning/run", { schema: { body: learningRunRequestSchema, response: { 200: learningRunResponseSchema } } }, async (request) => {
    const { dry_run } = request.body as z.infer<typeof learningRunRequestSchema>;
    return viaAidb(() => loop.run({ dryRun: dry_run }));
  });

  app.get("/learning/summary", { logLevel: "warn", schema: { response: { 200: learningSummarySchema } } }, async (_request, reply) => {
    reply.header("cache-control", "no-store");
    const routing = rt.routingConfig.current();
    const summary: LearningSummary = { threshold: routing.threshold, max_query_rewrites: routing.maxQueryRewrites, threshold_history: [], open_proposals: [], eval_runs: [], dlq_depth: 0 };
    try {
      const [history, open, runs, dlq] = await Promise.all([
        rt.aidb.learning.thresholdHistory(100),
        rt.aidb.learning.list({ status: "open", limit: 20 }),
        rt.aidb.evalRuns.list({ limit: 30 }),
        rt.aidb.dlq.list({ limit: 1 }),
      ]);
      Object.assign(summary, { threshold_history: history, open_proposals: open, eval_runs: runs, dlq_depth: dlq.total });
    } catch (err) {
      summary.error = (err as Error).message;
    }
    return summary;
  });
}
