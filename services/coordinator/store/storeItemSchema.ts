import { z } from "zod";

const score = z.number().nullable().optional();
const short = (max: number) => z.string().max(max);

/** One interaction as the coordinator sends it to aidb's POST /interactions/batch. */
export const interactionRecordSchema = z.strictObject({
  id: z.string().uuid(),
  project: short(200).nullable().optional(),
  queryText: short(100_000),
  backend: short(32),
  reason: short(200),
  fallbackReason: short(200).nullable().optional(),
  routingOverride: short(200).nullable().optional(),
  localConfidenceScore: score,
  threshold: score,
  bestScore: score,
  cacheHit: z.boolean().optional(),
  variant: short(8).nullable().optional(),
  timings: z.record(z.string().max(64), z.number()).optional(),
  documentIds: z.array(z.string().uuid()).max(1000).optional(),
  sources: z.array(z.record(z.string(), z.unknown())).max(1000).optional(),
  responseChars: z.number().int().min(0).optional(),
  status: z.enum(["ok", "error", "aborted"]).optional(),
  error: short(10_000).nullable().optional(),
});

export const gapInputSchema = z.strictObject({
  queryText: short(100_000),
  score: z.number(),
  collectionSearched: short(200),
});

/** Interactions per batch at most. */
export const maxBatchItems = 1000;

export const storeBatchSchema = z.strictObject({
  items: z.array(z.strictObject({ interaction: interactionRecordSchema, gap: gapInputSchema.optional() })).min(1).max(maxBatchItems),
});
