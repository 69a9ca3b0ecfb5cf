import { z } from "zod";
import { queryInt } from "../../shared/http/queryFields.js";

// aidb's interactions API: the coordinator's record of every answer, its
// feedback and the knowledge gaps, kept in aidb's database.
// POST /interactions/batch, GET /interactions/:id,
// POST /interactions/:id/feedback, GET /interactions/gaps,
// GET /interactions/ping.

/** Interactions per batch at most. */
export const maxBatchItems = 1000;

/** The longest feedback note stored, in characters (after redaction; longer notes are cut). */
export const maxFeedbackNoteChars = 2000;

/** The longest feedback note accepted, before redaction and cutting. */
export const maxFeedbackNoteInputChars = 100_000;

export const interactionStatusValues = ["ok", "error", "aborted"] as const;
export type InteractionStatus = (typeof interactionStatusValues)[number];

const score = z.number().nullable().optional();
const short = (max: number) => z.string().max(max);

/** One interaction as the coordinator sends it. */
export const interactionRecordSchema = z.strictObject({
  /** A uuid the coordinator made, so it can answer with the id before the row is written. */
  id: z.string().uuid(),
  /** The project searched; null or absent for all projects. */
  project: short(200).nullable().optional(),
  /** The query as received; secrets are redacted before it is stored. */
  queryText: short(100_000),
  /** The backend that answered (or would have): "local", "remote", "cache", ... */
  backend: short(32),
  /** Why that backend was chosen. */
  reason: short(200),
  fallbackReason: short(200).nullable().optional(),
  routingOverride: short(200).nullable().optional(),
  localConfidenceScore: score,
  threshold: score,
  /** The best retrieval score among the documents found. */
  bestScore: score,
  cacheHit: z.boolean().optional(),
  /** An A/B variant name, when one applies. */
  variant: short(8).nullable().optional(),
  /** Stage durations in milliseconds, stored as jsonb. */
  timings: z.record(z.string().max(64), z.number()).optional(),
  /** The aidb document ids whose passages went into the prompt. */
  documentIds: z.array(z.string().uuid()).max(1000).optional(),
  /** What the answer cites (titles, sources, scores); strings in it are redacted. */
  sources: z.array(z.record(z.string(), z.unknown())).max(1000).optional(),
  /** Length of the answer in characters. */
  responseChars: z.number().int().min(0).optional(),
  /** "ok" unless the query failed or the client went away; defaults to "error" when `error` is given. */
  status: z.enum(interactionStatusValues).optional(),
  /** The failure's message (redacted). */
  error: short(10_000).nullable().optional(),
});

/**
 * An interaction to record. `timings` is typed `object` so an interface such
 * as the coordinator's Timings fits; the schema checks its values.
 */
export type InteractionRecord = Omit<z.infer<typeof interactionRecordSchema>, "timings" | "sources" | "documentIds"> & {
  timings?: object;
  sources?: readonly object[];
  documentIds?: readonly string[];
};

/** A weak-retrieval question, recorded with its interaction. */
export const gapInputSchema = z.strictObject({
  queryText: short(100_000),
  score: z.number(),
  /** The project searched, or "*" for all projects. */
  collectionSearched: short(200),
});

export type GapInput = z.infer<typeof gapInputSchema>;

export interface StoreItem {
  interaction: InteractionRecord;
  gap?: GapInput;
}

/** POST /interactions/batch. */
export const storeBatchSchema = z.strictObject({
  items: z.array(z.strictObject({ interaction: interactionRecordSchema, gap: gapInputSchema.optional() })).min(1).max(maxBatchItems),
});

export const storeBatchResponseSchema = z.object({ recorded: z.number().int() });

export const interactionIdParams = z.object({ id: z.string().uuid("expected an interaction id (uuid)") });

/** POST /interactions/:id/feedback. */
export const interactionFeedbackSchema = z.strictObject({
  rating: z.union([z.literal(1), z.literal(-1)]),
  note: z.string().max(maxFeedbackNoteInputChars).optional(),
});

export const interactionFeedbackResponseSchema = z.object({ document_ids: z.array(z.string()) });

/** GET /interactions/gaps. */
export const gapsQuerySchema = z.object({ days: queryInt(1, 3650).default(7), limit: queryInt(1, 1000).default(10) });

const iso = z.string();

export const storedFeedbackSchema = z.object({ rating: z.union([z.literal(1), z.literal(-1)]), note: z.string().nullable(), created_at: iso });

/** GET /interactions/:id: an interaction as stored, with its feedback (oldest first). */
export const storedInteractionSchema = z.object({
  id: z.string(),
  created_at: iso,
  project: z.string().nullable(),
  /** Redacted. */
  query_text: z.string(),
  query_hash: z.string(),
  backend: z.string(),
  reason: z.string(),
  fallback_reason: z.string().nullable(),
  routing_override: z.string().nullable(),
  local_confidence_score: z.number().nullable(),
  threshold: z.number().nullable(),
  best_score: z.number().nullable(),
  cache_hit: z.boolean(),
  variant: z.string().nullable(),
  timings: z.record(z.string(), z.number()),
  document_ids: z.array(z.string()),
  sources: z.array(z.record(z.string(), z.unknown())),
  response_chars: z.number().int(),
  status: z.enum(interactionStatusValues),
  error: z.string().nullable(),
  feedback: z.array(storedFeedbackSchema),
});

export type StoredInteraction = z.infer<typeof storedInteractionSchema>;
export type StoredFeedback = z.infer<typeof storedFeedbackSchema>;

/** A knowledge gap: one query (by hash) that retrieval answered poorly, with how often. */
export const gapSummarySchema = z.object({
  /** The most recent wording seen for this hash (redacted). */
  query_text: z.string(),
  query_text_hash: z.string(),
  /** Times recorded in the window. */
  count: z.number().int(),
  /** The highest best-retrieval score seen for it in the window. */
  best_score: z.number(),
  last_seen: iso,
  /** The collection (project) searched most recently; "*" for all projects. */
  collection_searched: z.string(),
});

export type GapSummary = z.infer<typeof gapSummarySchema>;

export const gapsResponseSchema = z.object({ gaps: z.array(gapSummarySchema) });

export const pingResponseSchema = z.object({ ok: z.literal(true), latency_ms: z.number() });
