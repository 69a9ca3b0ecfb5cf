import { z } from "zod";
import { queryInt } from "../../shared/http/queryFields.js";

// aidb's eval history: each `aq eval` run's score and details.
// POST /eval/runs, GET /eval/runs.

export const evalOutcomes = ["passed", "failed", "skipped_by_design", "error"] as const;

/** One case of a run, as `aq eval` reports it. */
export const evalCaseResultSchema = z.object({
  id: z.string().max(200),
  kind: z.string().max(50),
  outcome: z.enum(evalOutcomes),
  detail: z.string().max(4000),
  ms: z.number().min(0),
});

export type EvalCaseResult = z.infer<typeof evalCaseResultSchema>;

/** POST /eval/runs. `score` is passed / (passed + failed + error); null when no case counted. */
export const evalRunInputSchema = z.strictObject({
  suite: z.string().min(1).max(200),
  started_at: z.iso.datetime({ offset: true }),
  score: z.number().min(0).max(1).nullable(),
  passed: z.number().int().min(0),
  failed: z.number().int().min(0),
  skipped: z.number().int().min(0),
  floor: z.number().min(0).max(1),
  details: z.strictObject({ cases: z.array(evalCaseResultSchema).max(10_000), notes: z.array(z.string().max(2000)).max(100).default([]) }),
});

export type EvalRunInput = z.infer<typeof evalRunInputSchema>;

export const evalRunSchema = z.object({ ...evalRunInputSchema.shape, id: z.string(), started_at: z.string(), finished_at: z.string() });

export type EvalRun = z.infer<typeof evalRunSchema>;

export const evalRunsQuerySchema = z.object({ suite: z.string().min(1).max(200).optional(), limit: queryInt(1, 1000).default(20) });

/** Newest first. */
export const evalRunsResponseSchema = z.object({ runs: z.array(evalRunSchema) });
