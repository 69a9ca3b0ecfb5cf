import { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import { HttpError } from "../../shared/http/HttpError.js";
import { queryInt } from "../../shared/http/queryFields.js";
import type { AidbRuntime } from "../AidbRuntime.js";
import {
  createProposalSchema,
  listProposalsQuerySchema,
  proposalDecisionSchema,
  proposalIdParams,
  ratingsQuerySchema,
} from "../api/learningContract.js";
import { ProposalNotOpenError } from "../learning/createLearningRepository.js";

const historyQuery = z.object({ limit: queryInt(1, 10_000).default(200) });

/**
 * The learning loop's record (../api/learningContract.ts): proposals and
 * the decisions on them, ratings by query-type bucket, the threshold's
 * history. Every proposal is checked against its typed schema here; the
 * coordinator checks it again before applying it.
 */
export async function learningRoute(app: KernelApp, { runtime }: { runtime: AidbRuntime }) {
  const repo = runtime.learning;

  app.post("/learning/proposals", { schema: { body: createProposalSchema } }, async (request, reply) => {
    const { proposal, actor, at } = request.body as z.infer<typeof createProposalSchema>;
    const stored = await repo.create(proposal, actor, at ? new Date(at) : new Date());
    request.log.info(
      { event: "proposal_created", proposal_id: stored.id, type: proposal.type, target: proposal.target, current: proposal.current_value, proposed: proposal.proposed_value, actor },
      `proposal ${stored.id}: ${proposal.type}`,
    );
    return reply.code(201).send(stored);
  });

  app.get("/learning/proposals", { schema: { querystring: listProposalsQuerySchema } }, async (request) => {
    return { proposals: await repo.list(request.query as z.infer<typeof listProposalsQuerySchema>) };
  });

  app.get("/learning/proposals/:id", { schema: { params: proposalIdParams } }, async (request) => {
    const { id } = request.params as z.infer<typeof proposalIdParams>;
    const found = await repo.get(id);
    if (!found) throw new HttpError(404, "not_found", `no proposal ${id}`);
    return found;
  });

  app.post("/learning/proposals/:id/decision", { schema: { params: proposalIdParams, body: proposalDecisionSchema } }, async (request) => {
    const { id } = request.params as z.infer<typeof proposalIdParams>;
    const d = request.body as z.infer<typeof proposalDecisionSchema>;
    let stored;
    try {
      stored = await repo.decide(id, d, d.at ? new Date(d.at) : new Date());
    } catch (err) {
      if (err instanceof ProposalNotOpenError) throw new HttpError(409, "proposal_not_open", err.message, { status: err.status });
      throw err;
    }
    if (!stored) throw new HttpError(404, "not_found", `no proposal ${id}`);
    request.log.info({ event: `proposal_${d.decision}`, proposal_id: id, actor: d.actor, note: d.note }, `proposal ${id}: ${d.decision}`);
    return stored;
  });

  app.get("/learning/ratings", { schema: { querystring: ratingsQuerySchema } }, async (request) => {
    const q = request.query as z.infer<typeof ratingsQuerySchema>;
    const since = new Date(q.since);
    const until = new Date(q.until);
    if (!(since < until)) throw new HttpError(400, "validation_error", "since must be before until", { fields: [{ path: "querystring.since", message: "must be before until" }] });
    return repo.ratings(since, until);
  });

  app.get("/learning/threshold-history", { schema: { querystring: historyQuery } }, async (request) => {
    const { limit } = request.query as z.infer<typeof historyQuery>;
    return { history: await repo.thresholdHistory(limit) };
  });
}
