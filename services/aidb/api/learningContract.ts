import { z } from "zod";
import { queryInt } from "../../shared/http/queryFields.js";

// aidb's learning API: the proposals the learning loop makes, every decision
// on them (kept for good), the ratings of the last days per query-type
// bucket, and the threshold's history. aidb stores; the coordinator, which
// owns routing-config.json, decides and applies (docs/learning.md).
// POST|GET /learning/proposals, GET /learning/proposals/:id,
// POST /learning/proposals/:id/decision, GET /learning/ratings,
// GET /learning/threshold-history.

/** The largest change of the routing threshold one proposal (and one week) may make. */
export const maxThresholdStep = 0.05;

/** The largest increase of an iteration limit one proposal may make. */
export const maxIterationStep = 2;

export const proposalTypes = ["routing_threshold_adjustment", "iteration_limit_increase", "code_change_required"] as const;
export type ProposalType = (typeof proposalTypes)[number];

export const proposalStatuses = ["open", "applied", "rejected", "superseded"] as const;
export type ProposalStatus = (typeof proposalStatuses)[number];

export const proposalEvents = ["proposed", "applied", "rejected", "superseded", "apply_failed"] as const;
export type ProposalEventName = (typeof proposalEvents)[number];

const isoDate = z.iso.datetime({ offset: true });

/** What a proposal rests on: a sentence for people, the window it looked at and the numbers. */
export const evidenceSchema = z.strictObject({
  summary: z.string().min(1).max(4000),
  window_start: isoDate,
  window_end: isoDate,
  /** Ratings the proposal counted. */
  ratings: z.number().int().min(0),
  data: z.record(z.string(), z.unknown()).default({}),
});

export type Evidence = z.infer<typeof evidenceSchema>;

const confidence = z.number().min(0).max(1);

/** Moves `local_confidence_threshold` in routing-config.json by at most maxThresholdStep. */
export const routingThresholdAdjustmentSchema = z
  .strictObject({
    type: z.literal("routing_threshold_adjustment"),
    target: z.literal("local_confidence_threshold"),
    current_value: z.number().min(0).max(1),
    proposed_value: z.number().min(0).max(1),
    evidence: evidenceSchema,
    confidence,
  })
  .refine((p) => Math.abs(p.proposed_value - p.current_value) <= maxThresholdStep + 1e-9, {
    message: `a threshold proposal moves the threshold by at most ${maxThresholdStep}`,
    path: ["proposed_value"],
  })
  .refine((p) => p.proposed_value !== p.current_value, { message: "a proposal must change the value", path: ["proposed_value"] });

/** Raises an iteration limit in routing-config.json (`max_query_rewrites`: phrasings asked of the model per question). */
export const iterationLimitIncreaseSchema = z
  .strictObject({
    type: z.literal("iteration_limit_increase"),
    target: z.literal("max_query_rewrites"),
    current_value: z.number().int().min(0).max(8),
    proposed_value: z.number().int().min(1).max(8),
    evidence: evidenceSchema,
    confidence,
  })
  .refine((p) => p.proposed_value > p.current_value && p.proposed_value - p.current_value <= maxIterationStep, {
    message: `an iteration limit proposal raises the limit by 1 to ${maxIterationStep}`,
    path: ["proposed_value"],
  });

/** A change only a person can make (code, a model, a new source): applied by appending a dated entry to a tracked file. */
export const codeChangeRequiredSchema = z.strictObject({
  type: z.literal("code_change_required"),
  /** What it is about: a config key, a component, a project. */
  target: z.string().min(1).max(200),
  title: z.string().min(1).max(200),
  current_value: z.string().max(2000).nullable(),
  proposed_value: z.string().min(1).max(4000),
  evidence: evidenceSchema,
  confidence,
});

/** Every proposal the loop makes, by `type`. Checked when it is made and again before it is applied. */
export const proposalSchema = z.discriminatedUnion("type", [routingThresholdAdjustmentSchema, iterationLimitIncreaseSchema, codeChangeRequiredSchema]);

export type Proposal = z.infer<typeof proposalSchema>;
export type RoutingThresholdAdjustment = z.infer<typeof routingThresholdAdjustmentSchema>;
export type IterationLimitIncrease = z.infer<typeof iterationLimitIncreaseSchema>;
export type CodeChangeRequired = z.infer<typeof codeChangeRequiredSchema>;

const actor = z.string().min(1).max(200);
const note = z.string().max(2000);

/** POST /learning/proposals. `at` is the proposer's clock (the weekly job's), default now. */
export const createProposalSchema = z.strictObject({
  proposal: proposalSchema,
  actor,
  at: isoDate.optional(),
});

/** POST /learning/proposals/:id/decision. `apply_failed` is recorded and leaves the proposal open. */
export const proposalDecisionSchema = z.strictObject({
  decision: z.enum(["applied", "rejected", "apply_failed"]),
  actor,
  note: note.optional(),
  at: isoDate.optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});

export type ProposalDecision = z.infer<typeof proposalDecisionSchema>;

export const proposalEventSchema = z.object({
  at: z.string(),
  event: z.enum(proposalEvents),
  actor: z.string(),
  note: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});

export type ProposalEvent = z.infer<typeof proposalEventSchema>;

/** A proposal as stored, with its history (oldest first). The payload is read back through proposalSchema. */
export const storedProposalSchema = z.object({
  id: z.string(),
  created_at: z.string(),
  status: z.enum(proposalStatuses),
  decided_at: z.string().nullable(),
  proposal: proposalSchema,
  events: z.array(proposalEventSchema),
});

export type StoredProposal = z.infer<typeof storedProposalSchema>;

export const proposalIdParams = z.object({ id: z.string().uuid("expected a proposal id (uuid)") });

export const listProposalsQuerySchema = z.object({
  status: z.enum(proposalStatuses).optional(),
  type: z.enum(proposalTypes).optional(),
  limit: queryInt(1, 1000).default(50),
});

export const proposalListSchema = z.object({ proposals: z.array(storedProposalSchema) });

/** GET /learning/ratings: ratings given in [since, until), by query-type bucket and by the backend that answered. */
export const ratingsQuerySchema = z.object({ since: isoDate, until: isoDate });

const goodBad = z.object({ good: z.number().int(), bad: z.number().int() });

export const bucketRatingsSchema = z.object({
  bucket: z.string(),
  local: goodBad,
  remote: goodBad,
  /** Cache hits and anything else. */
  other: goodBad,
});

export type BucketRatings = z.infer<typeof bucketRatingsSchema>;

export const ratingsResponseSchema = z.object({
  window_start: z.string(),
  window_end: z.string(),
  buckets: z.array(bucketRatingsSchema),
  /** Interactions recorded in the window, and those among them recorded as knowledge gaps. */
  interactions: z.number().int(),
  gaps: z.number().int(),
});

export type RatingsResponse = z.infer<typeof ratingsResponseSchema>;

/** GET /learning/threshold-history: every applied threshold change, oldest first. */
export const thresholdChangeSchema = z.object({ at: z.string(), from: z.number(), to: z.number(), proposal_id: z.string(), actor: z.string() });

export type ThresholdChange = z.infer<typeof thresholdChangeSchema>;

export const thresholdHistorySchema = z.object({ history: z.array(thresholdChangeSchema) });
