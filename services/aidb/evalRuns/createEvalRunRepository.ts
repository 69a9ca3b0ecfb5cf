import type { Db } from "../db/Db.js";
import type { EvalRun, EvalRunInput } from "../api/evalContract.js";

const columns = "id::text AS id, suite, started_at, finished_at, score, passed, failed, skipped, floor, details";

function toRun(r: Record<string, unknown>): EvalRun {
  return {
    id: r.id as string,
    suite: r.suite as string,
    started_at: new Date(r.started_at as string).toISOString(),
    finished_at: new Date(r.finished_at as string).toISOString(),
    score: r.score === null ? null : Number(r.score),
    passed: Number(r.passed),
    failed: Number(r.failed),
    skipped: Number(r.skipped),
    floor: Number(r.floor),
    details: r.details as EvalRun["details"],
  };
}

/** `aq eval` runs: each run's score and details, kept for the trend. */
export function createEvalRunRepository(db: Db) {
  return {
    async add(run: EvalRunInput): Promise<EvalRun> {
      const r = await db.query(
        `INSERT INTO eval_runs (suite, started_at, score, passed, failed, skipped, floor, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) RETURNING ${columns}`,
        [run.suite, run.started_at, run.score, run.passed, run.failed, run.skipped, run.floor, JSON.stringify(run.details)],
      );
      return toRun(r.rows[0]);
    },

    /** Newest first. */
    async list(opts: { suite?: string; limit: number }): Promise<EvalRun[]> {
      const r = await db.query(
        `SELECT ${columns} FROM eval_runs WHERE ($1::text IS NULL OR suite = $1) ORDER BY started_at DESC, finished_at DESC LIMIT $2`,
        [opts.suite ?? null, opts.limit],
      );
      return r.rows.map(toRun);
    },
  };
}

export type EvalRunRepository = ReturnType<typeof createEvalRunRepository>;
