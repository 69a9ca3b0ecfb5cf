import { z } from "zod";

// aidb's documents API: POST /documents (ingest), GET /documents,
// GET|DELETE /documents/:id, POST /documents/:id/feedback, POST /gc.
// The size limits of ingestion are configurable (maxDocumentBytes,
// maxBatchDocuments): the server checks them and publishes them in
// GET /status `limits`, which clients read rather than restate.

export const sourceTrustValues = ["trusted", "imported", "generated"] as const;
export type SourceTrust = (typeof sourceTrustValues)[number];

/** Characters of a project name. */
export const maxProjectChars = 200;

/** One document of POST /documents. Size limits are checked by the route (they are configurable). */
export const documentInputSchema = z
  .object({
    project: z.string().trim().min(1, "project is required").max(maxProjectChars),
    text: z.string().min(1, "text must not be empty"),
    title: z.string().max(1000).optional(),
    source: z.string().max(2000).optional(),
    source_trust: z.enum(sourceTrustValues).default("imported"),
    metadata: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type DocumentInput = z.infer<typeof documentInputSchema>;

/** POST /documents with several documents: `{documents: [...]}` (one document alone is accepted too). */
export const ingestBatchSchema = z.object({ documents: z.array(documentInputSchema).min(1, "documents must not be empty") }).strict();

/** What POST /documents says of each document. */
export const ingestResultSchema = z.object({
  index: z.number().int(),
  id: z.string().nullable(),
  status: z.enum(["stored", "duplicate", "failed"]),
  /** Characters removed by sanitising (controls, bidi overrides, zero-width). */
  sanitized_chars: z.number().int(),
  redactions: z.number().int(),
  redactions_by_kind: z.record(z.string(), z.number()),
  injection_score: z.number(),
  injection_signals: z.array(z.string()),
  quarantined: z.boolean(),
  chunks: z.number().int(),
  error: z.string().optional(),
  /** A failed document's entry in the dead-letter queue (`aq dlq list`). */
  dead_letter_id: z.number().int().optional(),
});

export type IngestResult = z.infer<typeof ingestResultSchema>;

export const ingestResponseSchema = z.object({
  stored: z.number().int(),
  duplicates: z.number().int(),
  failed: z.number().int(),
  results: z.array(ingestResultSchema),
});

/** POST /documents/:id/feedback. */
export const documentFeedbackSchema = z.object({ rating: z.number().int().min(-1).max(1) }).strict();

export const documentFeedbackResponseSchema = z.object({ recorded: z.literal(true), id: z.string(), rating: z.number().int() });

/** POST /gc. */
export const gcRequestSchema = z.object({ dry_run: z.boolean().default(false) }).strict();

export const gcResponseSchema = z.object({ dry_run: z.boolean(), count: z.number().int(), ids: z.array(z.string()) });

/** GET and PUT /rag/fusion/weights: normalised to sum 1 by the server. */
export const fusionWeightsSchema = z
  .object({
    vector: z.number().min(0, "must be non-negative").max(1e6),
    keyword: z.number().min(0, "must be non-negative").max(1e6),
  })
  .strict()
  .refine((w) => w.vector + w.keyword > 0, { message: "vector + keyword must be greater than 0", path: ["vector"] });

/** The part of GET /status clients rely on: the configured limits. */
export const aidbStatusSchema = z
  .object({
    driver: z.enum(["pglite", "pg"]),
    schema_version: z.number().int(),
    limits: z.object({
      max_document_bytes: z.number().int(),
      max_batch_documents: z.number().int(),
      chunk_tokens: z.number().int(),
      chunk_overlap_tokens: z.number().int(),
      injection_threshold: z.number(),
    }),
  })
  .passthrough();

export type AidbStatus = z.infer<typeof aidbStatusSchema>;
