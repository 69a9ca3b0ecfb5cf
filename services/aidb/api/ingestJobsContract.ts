import { z } from "zod";
import { queryInt } from "../../shared/http/queryFields.js";
import { documentInputSchema } from "./documentsContract.js";

// aidb's resumable ingestion and its dead-letter queue.
// POST /ingest/jobs, GET /ingest/jobs, GET /ingest/jobs/:id;
// GET /dlq, POST /dlq/retry, POST /dlq/drop.

/** Where a document came from in a knowledge source: recorded once the document is stored, so the next sync skips it. */
export const sourceItemSchema = z.strictObject({
  source_id: z.string().min(1).max(200),
  /** The file's path relative to the source's directory, or the URL. */
  key: z.string().min(1).max(4000),
  content_hash: z.string().min(1).max(200),
  mtime_ms: z.number().nullable().default(null),
  size: z.number().int().min(0).nullable().default(null),
  etag: z.string().max(1000).nullable().default(null),
  last_modified: z.string().max(200).nullable().default(null),
});

export type SourceItem = z.infer<typeof sourceItemSchema>;

/** One document of a job (or of a dead letter), with where it came from. */
export const jobItemSchema = z.strictObject({ document: documentInputSchema, source_item: sourceItemSchema.optional() });

export type JobItem = z.infer<typeof jobItemSchema>;
export type JobItemInput = z.input<typeof jobItemSchema>;

/** POST /ingest/jobs: documents ingested in the background, the position reached kept in the database. */
export const createJobSchema = z.strictObject({
  label: z.string().min(1).max(200),
  items: z.array(jobItemSchema).min(1, "items must not be empty"),
});

export const jobStatuses = ["running", "waiting", "done"] as const;

export const ingestJobSchema = z.object({
  id: z.string(),
  label: z.string(),
  /** running: being worked on or queued; waiting: a dependency is down, it tries again after a pause; done. */
  status: z.enum(jobStatuses),
  total: z.number().int(),
  /** Items before this position are done (stored, duplicate or dead-lettered). */
  next_offset: z.number().int(),
  stored: z.number().int(),
  duplicates: z.number().int(),
  failed: z.number().int(),
  dead_lettered: z.number().int(),
  last_error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export type IngestJob = z.infer<typeof ingestJobSchema>;

export const jobIdParams = z.object({ id: z.string().uuid("expected a job id (uuid)") });
export const jobsQuerySchema = z.object({ limit: queryInt(1, 1000).default(20) });
export const jobListSchema = z.object({ jobs: z.array(ingestJobSchema) });

/** A document that kept failing after its retries: its cleaned text, why, and how often it was tried. */
export const deadLetterSchema = z.object({
  id: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  project: z.string(),
  title: z.string().nullable(),
  source: z.string().nullable(),
  /** embed, store or ingest. */
  stage: z.string(),
  error: z.string(),
  attempts: z.number().int(),
  job_id: z.string().nullable(),
  source_id: z.string().nullable(),
});

export type DeadLetter = z.infer<typeof deadLetterSchema>;

export const dlqQuerySchema = z.object({ limit: queryInt(1, 1000).default(50), offset: queryInt(0, 10_000_000).default(0) });
export const dlqListSchema = z.object({ total: z.number().int(), items: z.array(deadLetterSchema) });

const dlqIds = z.array(z.number().int().min(1)).min(1).max(10_000);

/** POST /dlq/retry: the given ids, or every dead letter (at most `limit`, oldest first). */
export const dlqRetrySchema = z.strictObject({ ids: dlqIds.optional(), limit: z.number().int().min(1).max(10_000).default(1000) });

export const dlqRetryResponseSchema = z.object({
  retried: z.number().int(),
  stored: z.number().int(),
  duplicates: z.number().int(),
  /** Still failing: kept, with attempts counted up. */
  failed: z.number().int(),
  results: z.array(z.object({ id: z.number().int(), status: z.enum(["stored", "duplicate", "failed"]), document_id: z.string().nullable(), error: z.string().optional() })),
});

/** POST /dlq/drop: the given ids, or all of them with `all: true`. */
export const dlqDropSchema = z
  .strictObject({ ids: dlqIds.optional(), all: z.literal(true).optional() })
  .refine((b) => (b.ids === undefined) !== (b.all === undefined), { message: "give ids or all: true (not both)", path: ["ids"] });

export const dlqDropResponseSchema = z.object({ dropped: z.number().int() });
