import type { Db } from "../db/Db.js";
import type { IngestJob, JobItem } from "../api/ingestJobsContract.js";

/** Items per multi-row INSERT when a job is created. */
const itemInsertBatch = 200;

const jobColumns = `id::text AS id, label, status, total, next_offset, stored, duplicates, failed, dead_lettered, last_error, created_at, updated_at`;

function toJob(r: Record<string, unknown>): IngestJob {
  return {
    id: r.id as string,
    label: r.label as string,
    status: r.status as IngestJob["status"],
    total: Number(r.total),
    next_offset: Number(r.next_offset),
    stored: Number(r.stored),
    duplicates: Number(r.duplicates),
    failed: Number(r.failed),
    dead_lettered: Number(r.dead_lettered),
    last_error: (r.last_error as string | null) ?? null,
    created_at: new Date(r.created_at as string).toISOString(),
    updated_at: new Date(r.updated_at as string).toISOString(),
  };
}

export interface JobProgress {
  nextOffset: number;
  stored: number;
  duplicates: number;
  failed: number;
  deadLettered: number;
}

/**
 * Ingest jobs and their items. The position reached (`next_offset`) is
 * written after each slice, so a job interrupted by a restart or an outage
 * resumes there. A worker holds a job through a lease it renews; a lease
 * that runs out (a crashed worker) frees the job for the next one.
 */
export function createIngestJobRepository(db: Db) {
  return {
    async create(label: string, items: JobItem[]): Promise<IngestJob> {
      return db.transaction(async (tx) => {
        const r = await tx.query(`INSERT INTO ingest_jobs (label, total) VALUES ($1, $2) RETURNING ${jobColumns}`, [label, items.length]);
        const job = toJob(r.rows[0]);
        for (let start = 0; start < items.length; start += itemInsertBatch) {
          const batch = items.slice(start, start + itemInsertBatch);
          const params: unknown[] = [];
          const values = batch.map((item, i) => {
            const p = params.length;
            params.push(job.id, start + i, JSON.stringify(item));
            return `($${p + 1}::uuid, $${p + 2}, $${p + 3}::jsonb)`;
          });
          await tx.query(`INSERT INTO ingest_job_items (job_id, position, item) VALUES ${values.join(", ")}`, params);
        }
        return job;
      });
    },

    async get(id: string): Promise<IngestJob | undefined> {
      const r = await db.query(`SELECT ${jobColumns} FROM ingest_jobs WHERE id = $1::uuid`, [id]);
      return r.rows[0] && toJob(r.rows[0]);
    },

    /** Newest first. */
    async list(limit: number): Promise<IngestJob[]> {
      const r = await db.query(`SELECT ${jobColumns} FROM ingest_jobs ORDER BY created_at DESC LIMIT $1`, [limit]);
      return r.rows.map(toJob);
    },

    async pending(): Promise<number> {
      const r = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM ingest_jobs WHERE status <> 'done'");
      return r.rows[0].n;
    },

    /** Takes the oldest job that is due and free (or held by `owner`), leased for `leaseMs`. */
    async claim(owner: string, leaseMs: number): Promise<IngestJob | undefined> {
      return db.transaction(async (tx) => {
        const due = await tx.query<{ id: string }>(
          `SELECT id::text AS id FROM ingest_jobs
           WHERE status <> 'done' AND not_before <= now() AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $1)
           ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [owner],
        );
        const id = due.rows[0]?.id;
        if (!id) return undefined;
        const r = await tx.query(
          `UPDATE ingest_jobs SET lease_owner = $2, lease_until = now() + make_interval(secs => $3), status = 'running', updated_at = now()
           WHERE id = $1::uuid RETURNING ${jobColumns}`,
          [id, owner, leaseMs / 1000],
        );
        return toJob(r.rows[0]);
      });
    },

    /** When the next waiting job is due, if any. */
    async nextDue(): Promise<Date | undefined> {
      const r = await db.query<{ at: string | null }>("SELECT min(not_before) AS at FROM ingest_jobs WHERE status <> 'done'");
      return r.rows[0]?.at ? new Date(r.rows[0].at) : undefined;
    },

    async items(jobId: string, from: number, count: number): Promise<JobItem[]> {
      const r = await db.query<{ item: JobItem }>(
        "SELECT item FROM ingest_job_items WHERE job_id = $1::uuid AND position >= $2 ORDER BY position LIMIT $3",
        [jobId, from, count],
      );
      return r.rows.map((x) => x.item);
    },

    async renew(jobId: string, owner: string, leaseMs: number): Promise<boolean> {
      const r = await db.query(
        "UPDATE ingest_jobs SET lease_until = now() + make_interval(secs => $3) WHERE id = $1::uuid AND lease_owner = $2 RETURNING id",
        [jobId, owner, leaseMs / 1000],
      );
      return r.rows.length > 0;
    },

    /** Moves the job forward (only while `owner` holds it); done at the end, its items deleted. */
    async advance(jobId: string, owner: string, p: JobProgress, total: number): Promise<boolean> {
      return db.transaction(async (tx) => {
        const done = p.nextOffset >= total;
        const r = await tx.query(
          `UPDATE ingest_jobs SET next_offset = $3, stored = stored + $4, duplicates = duplicates + $5, failed = failed + $6,
             dead_lettered = dead_lettered + $7, status = $8, last_error = NULL, updated_at = now(),
             lease_owner = CASE WHEN $8 = 'done' THEN NULL ELSE lease_owner END,
             lease_until = CASE WHEN $8 = 'done' THEN NULL ELSE lease_until END
           WHERE id = $1::uuid AND lease_owner = $2 RETURNING id`,
          [jobId, owner, p.nextOffset, p.stored, p.duplicates, p.failed, p.deadLettered, done ? "done" : "running"],
        );
        if (r.rows.length === 0) return false;
        if (done) await tx.query("DELETE FROM ingest_job_items WHERE job_id = $1::uuid", [jobId]);
        return true;
      });
    },

    /** A dependency is down: the job waits `pauseMs`, keeps its position, and lets go of its lease. */
    async pause(jobId: string, owner: string, error: string, pauseMs: number): Promise<void> {
      await db.query(
        `UPDATE ingest_jobs SET status = 'waiting', last_error = $3, not_before = now() + make_interval(secs => $4),
           lease_owner = NULL, lease_until = NULL, updated_at = now()
         WHERE id = $1::uuid AND lease_owner = $2`,
        [jobId, owner, error.slice(0, 4000), pauseMs / 1000],
      );
    },

    /** Lets go of every lease `owner` holds (shutdown): the jobs stay where they were. */
    async release(owner: string): Promise<void> {
      await db.query("UPDATE ingest_jobs SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1", [owner]);
    },
  };
}

export type IngestJobRepository = ReturnType<typeof createIngestJobRepository>;
