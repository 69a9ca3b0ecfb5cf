import { z } from "zod";
import { listProposalsQuerySchema, proposalSchema, storedProposalSchema, thresholdChangeSchema } from "../../aidb/api/learningContract.js";
import { evalRunSchema } from "../../aidb/api/evalContract.js";

// The coordinator's side of the learning loop (docs/learning.md): it owns
// routing-config.json, so it runs the weekly job and applies proposals;
// aidb keeps the record (its learningContract).
// GET /proposals, GET /proposals/:id, POST /proposals/:id/approve,
// POST /proposals/:id/reject, POST /learning/run, GET /learning/summary.

export { listProposalsQuerySchema, storedProposalSchema };

export const proposalListResponseSchema = z.object({ proposals: z.array(storedProposalSchema) });

export const proposalIdParams = z.object({ id: z.string().uuid("expected a proposal id (uuid)") });

/** POST /proposals/:id/approve and /reject. `actor` names who decided (aq sends the user). */
export const proposalDecisionRequestSchema = z.strictObject({
  actor: z.string().min(1).max(200).default("aq"),
  note: z.string().max(2000).optional(),
});

export type ProposalDecisionRequest = z.input<typeof proposalDecisionRequestSchema>;

/** POST /learning/run: the weekly job now. A dry run says what it would propose and stores nothing. */
export const learningRunRequestSchema = z.strictObject({ dry_run: z.boolean().default(false) });

export const jobOutcomeSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("proposed"), type: z.string(), proposal: storedProposalSchema }),
  z.object({ kind: z.literal("applied"), type: z.string(), proposal: storedProposalSchema }),
  z.object({ kind: z.literal("would_propose"), type: z.string(), proposal: proposalSchema }),
  z.object({ kind: z.literal("skipped"), type: z.string(), reason: z.string(), summary: z.string() }),
]);

export const learningRunResponseSchema = z.object({
  ran_at: z.string(),
  window_start: z.string(),
  window_end: z.string(),
  dry_run: z.boolean(),
  outcomes: z.array(jobOutcomeSchema),
});

export type LearningRunResponse = z.infer<typeof learningRunResponseSchema>;

/** GET /learning/summary: what the dashboard shows of the loop. */
export const learningSummarySchema = z.object({
  threshold: z.number(),
  max_query_rewrites: z.number().int(),
  threshold_history: z.array(thresholdChangeSchema),
  open_proposals: z.array(storedProposalSchema),
  eval_runs: z.array(evalRunSchema),
  dlq_depth: z.number().int(),
  /** Why a part is missing (aidb unreachable). */
  error: z.string().optional(),
});

export type LearningSummary = z.infer<typeof learningSummarySchema>;
