import expansion from "../../../lib/query-expansion.json" with { type: "json" };
import type { Db, Queryable } from "../db/Db.js";
import { classifyQueryBucket } from "../../shared/text/classifyQueryBucket.js";
import type {
  BucketRatings,
  Proposal,
  ProposalDecision,
  ProposalEvent,
  ProposalStatus,
  ProposalType,
  RatingsResponse,
  StoredProposal,
  ThresholdChange,
} from "../api/learningContract.js";

/** The decision asked of a proposal that is no longer open. */
export class ProposalNotOpenError extends Error {
  constructor(
    readonly id: string,
    readonly status: ProposalStatus,
  ) {
    super(`proposal ${id} is ${status}, not open`);
    this.name = "ProposalNotOpenError";
  }
}

const iso = (v: unknown) => new Date(v as string).toISOString();

async function eventsOf(q: Queryable, ids: string[]): Promise<Map<string, ProposalEvent[]>> {
  const out = new Map<string, ProposalEvent[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const r = await q.query<Record<string, unknown>>(
    `SELECT proposal_id::text AS proposal_id, at, event, actor, note, detail FROM learning_proposal_events
     WHERE proposal_id = ANY($1::uuid[]) ORDER BY at, id`,
    [ids],
  );
  for (const e of r.rows) {
    out.get(e.proposal_id as string)?.push({
      at: iso(e.at),
      event: e.event as ProposalEvent["event"],
      actor: e.actor as string,
      note: (e.note as string | null) ?? null,
      detail: (e.detail as Record<string, unknown>) ?? {},
    });
  }
  return out;
}

async function withEvents(q: Queryable, rows: Record<string, unknown>[]): Promise<StoredProposal[]> {
  const events = await eventsOf(
    q,
    rows.map((r) => r.id as string),
  );
  return rows.map((r) => ({
    id: r.id as string,
    created_at: iso(r.created_at),
    status: r.status as ProposalStatus,
    decided_at: r.decided_at ? iso(r.decided_at) : null,
    proposal: r.proposal as Proposal,
    events: events.get(r.id as string) ?? [],
  }));
}

const proposalColumns = "id::text AS id, created_at, status, decided_at, proposal";

async function addEvent(q: Queryable, id: string, e: { event: string; actor: string; note?: string | null; at: Date; detail?: Record<string, unknown> }) {
  await q.query("INSERT INTO learning_proposal_events (proposal_id, at, event, actor, note, detail) VALUES ($1::uuid, $2, $3, $4, $5, $6::jsonb)", [
    id,
    e.at,
    e.event,
    e.actor,
    e.note ?? null,
    JSON.stringify(e.detail ?? {}),
  ]);
}

/** The learning loop's record: proposals, every event on them (kept for good), ratings by bucket, threshold history. */
export function createLearningRepository(db: Db) {
  return {
    /** Stores a proposal (validated by the route); an open proposal for the same target is superseded by it. */
    async create(proposal: Proposal, actor: string, at: Date): Promise<StoredProposal> {
      return db.transaction(async (tx) => {
        const inserted = await tx.query<{ id: string }>(
          "INSERT INTO learning_proposals (created_at, type, target, proposal) VALUES ($1, $2, $3, $4::jsonb) RETURNING id::text AS id",
          [at, proposal.type, proposal.target, JSON.stringify(proposal)],
        );
        const id = inserted.rows[0].id;
        const older = await tx.query<{ id: string }>(
          `UPDATE learning_proposals SET status = 'superseded', decided_at = $3
           WHERE target = $1 AND status = 'open' AND id <> $2::uuid RETURNING id::text AS id`,
          [proposal.target, id, at],
        );
        for (const o of older.rows) await addEvent(tx, o.id, { event: "superseded", actor, at, detail: { by: id } });
        await addEvent(tx, id, { event: "proposed", actor, at, detail: older.rows.length ? { supersedes: older.rows.map((o) => o.id) } : {} });
        const row = await tx.query<Record<string, unknown>>(`SELECT ${proposalColumns} FROM learning_proposals WHERE id = $1::uuid`, [id]);
        return (await withEvents(tx, row.rows))[0]!;
      });
    },

    /** Newest first. */
    async list(opts: { status?: ProposalStatus; type?: ProposalType; limit: number }): Promise<StoredProposal[]> {
      const r = await db.query<Record<string, unknown>>(
        `SELECT ${proposalColumns} FROM learning_proposals
         WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR type = $2)
         ORDER BY created_at DESC, id LIMIT $3`,
        [opts.status ?? null, opts.type ?? null, opts.limit],
      );
      return withEvents(db, r.rows);
    },

    async get(id: string): Promise<StoredProposal | undefined> {
      const r = await db.query<Record<string, unknown>>(`SELECT ${proposalColumns} FROM learning_proposals WHERE id = $1::uuid`, [id]);
      return r.rows.length ? (await withEvents(db, r.rows))[0] : undefined;
    },

    /**
     * Records a decision: applied or rejected close an open proposal;
     * apply_failed is logged and leaves it open. Throws ProposalNotOpenError
     * for a proposal already decided; undefined when there is none.
     */
    async decide(id: string, d: ProposalDecision, at: Date): Promise<StoredProposal | undefined> {
      return db.transaction(async (tx) => {
        const found = await tx.query<{ status: ProposalStatus }>("SELECT status FROM learning_proposals WHERE id = $1::uuid FOR UPDATE", [id]);
        const status = found.rows[0]?.status;
        if (!status) return undefined;
        if (status !== "open") throw new ProposalNotOpenError(id, status);
        if (d.decision !== "apply_failed") {
          await tx.query("UPDATE learning_proposals SET status = $2, decided_at = $3 WHERE id = $1::uuid", [id, d.decision, at]);
        }
        await addEvent(tx, id, { event: d.decision, actor: d.actor, note: d.note, at, detail: d.detail });
        const row = await tx.query<Record<string, unknown>>(`SELECT ${proposalColumns} FROM learning_proposals WHERE id = $1::uuid`, [id]);
        return (await withEvents(tx, row.rows))[0];
      });
    },

    /**
     * Ratings given in [since, until), by the question's bucket (see
     * classifyQueryBucket) and the backend that answered; with the
     * interactions and knowledge gaps recorded in the same window.
     */
    async ratings(since: Date, until: Date): Promise<RatingsResponse> {
      const rated = await db.query<{ query_text: string; backend: string; good: number; bad: number }>(
        `SELECT i.query_text, i.backend,
                count(*) FILTER (WHERE f.rating > 0)::int AS good,
                count(*) FILTER (WHERE f.rating < 0)::int AS bad
         FROM interaction_feedback f JOIN interactions i ON i.id = f.interaction_id
         WHERE f.created_at >= $1 AND f.created_at < $2
         GROUP BY i.query_hash, i.query_text, i.backend`,
        [since, until],
      );
      const buckets = new Map<string, BucketRatings>();
      for (const row of rated.rows) {
        const name = classifyQueryBucket(row.query_text, expansion);
        let b = buckets.get(name);
        if (!b) buckets.set(name, (b = { bucket: name, local: { good: 0, bad: 0 }, remote: { good: 0, bad: 0 }, other: { good: 0, bad: 0 } }));
        const side = row.backend === "local" ? b.local : row.backend === "remote" ? b.remote : b.other;
        side.good += row.good;
        side.bad += row.bad;
      }
      const counts = await db.query<{ interactions: number; gaps: number }>(
        `SELECT (SELECT count(*)::int FROM interactions WHERE created_at >= $1 AND created_at < $2) AS interactions,
                (SELECT count(*)::int FROM query_gaps WHERE "timestamp" >= $1 AND "timestamp" < $2) AS gaps`,
        [since, until],
      );
      return {
        window_start: since.toISOString(),
        window_end: until.toISOString(),
        buckets: [...buckets.values()].sort((a, b) => a.bucket.localeCompare(b.bucket)),
        interactions: counts.rows[0].interactions,
        gaps: counts.rows[0].gaps,
      };
    },

    /** Every applied threshold change, oldest first (the last `limit`). */
    async thresholdHistory(limit: number): Promise<ThresholdChange[]> {
      const r = await db.query<Record<string, unknown>>(
        `SELECT * FROM (
           SELECT e.at, e.actor, p.id::text AS proposal_id, p.proposal FROM learning_proposal_events e
           JOIN learning_proposals p ON p.id = e.proposal_id
           WHERE e.event = 'applied' AND p.type = 'routing_threshold_adjustment'
           ORDER BY e.at DESC, e.id DESC LIMIT $1) h
         ORDER BY at`,
        [limit],
      );
      return r.rows.map((x) => {
        const p = x.proposal as { current_value: number; proposed_value: number };
        return { at: iso(x.at), from: p.current_value, to: p.proposed_value, proposal_id: x.proposal_id as string, actor: x.actor as string };
      });
    },
  };
}

export type LearningRepository = ReturnType<typeof createLearningRepository>;
