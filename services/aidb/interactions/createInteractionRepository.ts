import { hashQueryText } from "../../shared/text/hashQueryText.js";
import { redactDeep } from "../../shared/text/redactDeep.js";
import { redactSecrets } from "../../shared/text/redactSecrets.js";
import { maxFeedbackNoteChars, type GapSummary, type InteractionRecord, type StoredFeedback, type StoredInteraction } from "../api/interactionsContract.js";
import type { Queryable } from "../db/Db.js";

/** An interaction to store; without an id, the database makes one. */
export type NewInteraction = Omit<InteractionRecord, "id"> & { id?: string };

/** The canonical textual form of a uuid; anything else is "unknown", never a SQL error. */
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (id: string): boolean => uuidPattern.test(id);

const redact = (text: string) => redactSecrets(text).text;
const iso = (t: Date | string) => new Date(t).toISOString();
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
/** NaN and ±Infinity are not scores; they are stored as null. */
const finiteOrNull = (v: number | null | undefined): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
/** jsonb parameters travel as JSON text: `pg` would turn a JS array into a PostgreSQL array. */
const json = (v: unknown) => JSON.stringify(v);

/** A row as the drivers return it: timestamps may be Dates, numbers may arrive as strings. */
type InteractionRow = Omit<StoredInteraction, "created_at" | "feedback" | "local_confidence_score" | "threshold" | "best_score" | "response_chars"> & {
  created_at: Date | string;
  local_confidence_score: number | string | null;
  threshold: number | string | null;
  best_score: number | string | null;
  response_chars: number | string;
};

/**
 * The interactions tables over the `Db` interface (either driver): the
 * coordinator's record of every answer, the feedback on them, and knowledge
 * gaps. Query texts, notes, errors and every string in `sources` are
 * redacted before they reach a column.
 */
export function createInteractionRepository(db: Queryable) {
  return {
    /**
     * Stores one interaction; returns its id (`i.id` when given, else a new
     * uuid). A malformed `i.id` throws RangeError; an id already stored
     * throws the database's unique violation.
     */
    async record(i: NewInteraction): Promise<string> {
      if (i.id !== undefined && !isUuid(i.id)) throw new RangeError(`interaction id must be a uuid, got ${JSON.stringify(i.id)}`);
      const status = i.status ?? (i.error ? "error" : "ok");
      const r = await db.query<{ id: string }>(
        `INSERT INTO interactions (id, project, query_text, query_hash, backend, reason, fallback_reason, routing_override,
           local_confidence_score, threshold, best_score, cache_hit, variant, timings, document_ids, sources,
           response_chars, status, error)
         VALUES (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15::text[], $16::jsonb, $17, $18, $19)
         RETURNING id`,
        [
          i.id ?? null,
          i.project ?? null,
          redact(i.queryText),
          hashQueryText(i.queryText),
          i.backend,
          i.reason,
          i.fallbackReason ?? null,
          i.routingOverride ?? null,
          finiteOrNull(i.localConfidenceScore),
          finiteOrNull(i.threshold),
          finiteOrNull(i.bestScore),
          i.cacheHit ?? false,
          i.variant ?? null,
          json(i.timings ?? {}),
          [...(i.documentIds ?? [])],
          json(redactDeep(i.sources ?? [])),
          Math.max(0, Math.trunc(i.responseChars ?? 0)),
          status,
          i.error ? redact(i.error) : null,
        ],
      );
      return r.rows[0].id;
    },

    /** The interaction with its feedback; undefined for an unknown or malformed id. */
    async get(id: string): Promise<StoredInteraction | undefined> {
      if (!isUuid(id)) return undefined;
      const r = await db.query<InteractionRow>(
        `SELECT id, created_at, project, query_text, query_hash, backend, reason, fallback_reason, routing_override,
                local_confidence_score, threshold, best_score, cache_hit, variant, timings, document_ids, sources,
                response_chars, status, error
         FROM interactions WHERE id = $1::uuid`,
        [id],
      );
      const row = r.rows[0];
      if (!row) return undefined;
      const f = await db.query<{ rating: number; note: string | null; created_at: Date | string }>(
        "SELECT rating, note, created_at FROM interaction_feedback WHERE interaction_id = $1::uuid ORDER BY created_at, id",
        [id],
      );
      const feedback: StoredFeedback[] = f.rows.map((x) => ({
        rating: Number(x.rating) === 1 ? 1 : -1,
        note: x.note,
        created_at: iso(x.created_at),
      }));
      return {
        ...row,
        created_at: iso(row.created_at),
        local_confidence_score: num(row.local_confidence_score),
        threshold: num(row.threshold),
        best_score: num(row.best_score),
        response_chars: Number(row.response_chars),
        document_ids: row.document_ids ?? [],
        feedback,
      };
    },

    /**
     * Records a rating (and an optional note, redacted and cut to
     * maxFeedbackNoteChars) on an interaction. Returns the interaction's
     * document ids, for passing the rating on to aidb, or undefined when the
     * id is unknown or malformed (the route answers 404).
     */
    async addFeedback(id: string, rating: 1 | -1, note?: string): Promise<{ documentIds: string[] } | undefined> {
      if (rating !== 1 && rating !== -1) throw new RangeError(`rating must be 1 or -1, got ${String(rating)}`);
      if (!isUuid(id)) return undefined;
      const storedNote = note === undefined || note.trim() === "" ? null : Array.from(redact(note)).slice(0, maxFeedbackNoteChars).join("");
      const r = await db.query<{ document_ids: string[] }>(
        `WITH target AS (SELECT id, document_ids FROM interactions WHERE id = $1::uuid),
              added AS (
                INSERT INTO interaction_feedback (interaction_id, rating, note)
                SELECT id, $2, $3 FROM target
                RETURNING interaction_id
              )
         SELECT target.document_ids FROM target JOIN added ON added.interaction_id = target.id`,
        [id, rating, storedNote],
      );
      const row = r.rows[0];
      return row ? { documentIds: row.document_ids ?? [] } : undefined;
    },

    /**
     * Records a knowledge gap: a query whose best retrieval score was low.
     * `collectionSearched` is the project, or "*" for all projects. An
     * `interactionId` that is malformed or unknown is stored as null.
     */
    async recordGap(g: { queryText: string; score: number; collectionSearched: string; interactionId?: string }): Promise<void> {
      const interactionId = g.interactionId !== undefined && isUuid(g.interactionId) ? g.interactionId : null;
      await db.query(
        `INSERT INTO query_gaps (query_text_hash, query_text, score, collection_searched, interaction_id)
         VALUES ($1, $2, $3, $4, (SELECT id FROM interactions WHERE id = $5::uuid))`,
        [hashQueryText(g.queryText), redact(g.queryText), Number.isFinite(g.score) ? g.score : 0, g.collectionSearched, interactionId],
      );
    },

    /**
     * The most repeated gaps of the last `days` days, grouped by query hash:
     * count desc, then most recently seen first; at most `limit`.
     */
    async topGaps(opts: { days: number; limit: number }): Promise<GapSummary[]> {
      const r = await db.query<{
        query_text: string;
        query_text_hash: string;
        count: number;
        best_score: number;
        last_seen: Date | string;
        collection_searched: string;
      }>(
        `SELECT query_text_hash,
                count(*)::int AS count,
                max(score) AS best_score,
                max("timestamp") AS last_seen,
                (array_agg(query_text ORDER BY "timestamp" DESC, id DESC))[1] AS query_text,
                (array_agg(collection_searched ORDER BY "timestamp" DESC, id DESC))[1] AS collection_searched
         FROM query_gaps
         WHERE "timestamp" >= now() - $1::double precision * interval '1 day'
         GROUP BY query_text_hash
         ORDER BY count DESC, last_seen DESC, query_text_hash
         LIMIT $2`,
        [opts.days, Math.max(0, Math.trunc(opts.limit))],
      );
      return r.rows.map((row) => ({
        query_text: row.query_text,
        query_text_hash: row.query_text_hash,
        count: Number(row.count),
        best_score: Number(row.best_score),
        last_seen: iso(row.last_seen),
        collection_searched: row.collection_searched,
      }));
    },
  };
}

export type InteractionRepository = ReturnType<typeof createInteractionRepository>;
