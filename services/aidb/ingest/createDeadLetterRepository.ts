import type { Db } from "../db/Db.js";
import type { DeadLetter, JobItem } from "../api/ingestJobsContract.js";

export interface NewDeadLetter {
  item: JobItem;
  stage: string;
  error: string;
  attempts: number;
  jobId?: string;
}

export interface DeadLetterRow extends DeadLetter {
  item: JobItem;
}

const columns = `id::int AS id, created_at, updated_at, project, item, stage, error, attempts, job_id::text AS job_id, source_id`;

function toDeadLetter(r: Record<string, unknown>): DeadLetterRow {
  const item = r.item as JobItem;
  return {
    id: Number(r.id),
    created_at: new Date(r.created_at as string).toISOString(),
    updated_at: new Date(r.updated_at as string).toISOString(),
    project: r.project as string,
    title: item.document.title ?? null,
    source: item.document.source ?? null,
    stage: r.stage as string,
    error: r.error as string,
    attempts: Number(r.attempts),
    job_id: (r.job_id as string | null) ?? null,
    source_id: (r.source_id as string | null) ?? null,
    item,
  };
}

/** The dead-letter queue: documents that kept failing, kept (cleaned) until retried or dropped. */
export function createDeadLetterRepository(db: Db) {
  return {
    async add(letters: NewDeadLetter[]): Promise<number[]> {
      const ids: number[] = [];
      for (const l of letters) {
        const r = await db.query<{ id: number }>(
          `INSERT INTO ingest_dead_letters (project, item, stage, error, attempts, job_id, source_id)
           VALUES ($1, $2::jsonb, $3, $4, $5, $6::uuid, $7) RETURNING id::int AS id`,
          [l.item.document.project, JSON.stringify(l.item), l.stage, l.error.slice(0, 4000), l.attempts, l.jobId ?? null, l.item.source_item?.source_id ?? null],
        );
        ids.push(r.rows[0].id);
      }
      return ids;
    },

    /** Oldest first, with the total. */
    async list(opts: { limit: number; offset: number }): Promise<{ total: number; items: DeadLetter[] }> {
      const total = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM ingest_dead_letters");
      const r = await db.query(`SELECT ${columns} FROM ingest_dead_letters ORDER BY id LIMIT $1 OFFSET $2`, [opts.limit, opts.offset]);
      return {
        total: total.rows[0].n,
        items: r.rows.map((row) => {
          const { item: _item, ...rest } = toDeadLetter(row);
          return rest;
        }),
      };
    },

    /** The given ids (those that exist), or the oldest `limit`. */
    async take(opts: { ids?: number[]; limit: number }): Promise<DeadLetterRow[]> {
      const r = opts.ids
        ? await db.query(`SELECT ${columns} FROM ingest_dead_letters WHERE id = ANY($1::bigint[]) ORDER BY id`, [opts.ids])
        : await db.query(`SELECT ${columns} FROM ingest_dead_letters ORDER BY id LIMIT $1`, [opts.limit]);
      return r.rows.map(toDeadLetter);
    },

    async failedAgain(id: number, error: string, attempts: number): Promise<void> {
      await db.query("UPDATE ingest_dead_letters SET attempts = attempts + $2, error = $3, updated_at = now() WHERE id = $1", [id, attempts, error.slice(0, 4000)]);
    },

    async remove(ids: number[]): Promise<number> {
      if (ids.length === 0) return 0;
      const r = await db.query("DELETE FROM ingest_dead_letters WHERE id = ANY($1::bigint[]) RETURNING id", [ids]);
      return r.rows.length;
    },

    async removeAll(): Promise<number> {
      const r = await db.query("DELETE FROM ingest_dead_letters RETURNING id");
      return r.rows.length;
    },

    async depth(): Promise<number> {
      const r = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM ingest_dead_letters");
      return r.rows[0].n;
    },
  };
}

export type DeadLetterRepository = ReturnType<typeof createDeadLetterRepository>;
