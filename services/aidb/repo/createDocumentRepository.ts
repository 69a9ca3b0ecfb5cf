import type { Db } from "../db/Db.js";
import type { SourceTrust } from "../api/documentsContract.js";
import { documentColumns, toDocumentRow, type DocumentRow } from "./documentRow.js";

export interface NewDocument {
  project: string;
  title: string | null;
  source: string | null;
  sourceTrust: SourceTrust;
  contentHash: string;
  metadata: Record<string, unknown>;
  quarantine: boolean;
  injectionScore: number;
  redactions: number;
  chunks: { text: string; embedding: number[] }[];
  modelFingerprint: string;
}

/** Rows per multi-row INSERT of chunks (5 parameters each). */
const chunkInsertBatch = 200;

/** Documents, their chunks and feedback. A factory over a Db: plain functions, no state. */
export function createDocumentRepository(db: Db) {
  /** Deletes a document like `delete`; returns its project, or undefined when there was none. */
  async function deleteReturningProject(id: string): Promise<string | undefined> {
    const r = await db.query<{ project: string }>("DELETE FROM documents WHERE id = $1::uuid RETURNING project", [id]);
    return r.rows[0]?.project;
  }

  /** `collectGarbage`, with the project of each document (sorted by id). */
  async function collectGarbageWithProjects(opts: { olderThanDays: number; dryRun: boolean }): Promise<{ id: string; project: string }[]> {
    const candidates = `SELECT d.id, d.project FROM documents d
      WHERE d.last_accessed_at = d.ingested_at
        AND d.ingested_at < now() - make_interval(days => $1)
        AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.document_id = d.id AND f.rating > 0)`;
    const sql = opts.dryRun
      ? `SELECT c.id::text AS id, c.project FROM (${candidates}) c`
      : `DELETE FROM documents WHERE id IN (SELECT c.id FROM (${candidates}) c) RETURNING id::text AS id, project`;
    const r = await db.query<{ id: string; project: string }>(sql, [opts.olderThanDays]);
    return r.rows.map((x) => ({ id: x.id, project: x.project })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  return {
    deleteReturningProject,
    collectGarbageWithProjects,

    async findIdByHash(project: string, contentHash: string): Promise<string | undefined> {
      const r = await db.query<{ id: string }>("SELECT id::text AS id FROM documents WHERE project = $1 AND content_hash = $2", [project, contentHash]);
      return r.rows[0]?.id;
    },

    /**
     * Stores a document and all its chunks in one transaction: either all of
     * it is there afterwards or none of it. A document already stored with
     * the same (project, content_hash) wins: its id comes back as a duplicate.
     */
    async insert(doc: NewDocument): Promise<{ id: string; duplicate: boolean }> {
      return db.transaction(async (tx) => {
        const inserted = await tx.query<{ id: string }>(
          `INSERT INTO documents (project, title, source, source_trust, content_hash, metadata, quarantine, injection_score, redactions, chunk_count)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)
           ON CONFLICT (project, content_hash) DO NOTHING
           RETURNING id::text AS id`,
          [doc.project, doc.title, doc.source, doc.sourceTrust, doc.contentHash, JSON.stringify(doc.metadata), doc.quarantine, doc.injectionScore, doc.redactions, doc.chunks.length],
        );
        const id = inserted.rows[0]?.id;
        if (!id) {
          const existing = await tx.query<{ id: string }>("SELECT id::text AS id FROM documents WHERE project = $1 AND content_hash = $2", [doc.project, doc.contentHash]);
          return { id: existing.rows[0].id, duplicate: true };
        }
        await tx.query("UPDATE documents SET last_accessed_at = ingested_at WHERE id = $1", [id]);
        for (let start = 0; start < doc.chunks.length; start += chunkInsertBatch) {
          const batch = doc.chunks.slice(start, start + chunkInsertBatch);
          const params: unknown[] = [];
          const values = batch.map((c, i) => {
            const p = params.length;
            params.push(id, start + i, c.text, c.embedding, doc.modelFingerprint);
            return `($${p + 1}::uuid, $${p + 2}, $${p + 3}, $${p + 4}::real[]::vector, $${p + 5})`;
          });
          await tx.query(`INSERT INTO chunks (document_id, position, text, embedding, model_fingerprint) VALUES ${values.join(", ")}`, params);
        }
        return { id, duplicate: false };
      });
    },

    async get(id: string): Promise<(DocumentRow & { chunks: { id: string; position: number; text: string }[] }) | undefined> {
      const r = await db.query(`SELECT ${documentColumns} FROM documents d WHERE d.id = $1::uuid`, [id]);
      if (r.rows.length === 0) return undefined;
      const chunks = await db.query<{ id: string; position: number; text: string }>(
        "SELECT id::text AS id, position, text FROM chunks WHERE document_id = $1::uuid ORDER BY position",
        [id],
      );
      return { ...toDocumentRow(r.rows[0]), chunks: chunks.rows };
    },

    /** Documents by project and/or a substring of title or source, newest first. */
    async list(opts: { project?: string; search?: string; limit: number; offset: number }): Promise<{ total: number; documents: DocumentRow[] }> {
      const where: string[] = [];
      const params: unknown[] = [];
      if (opts.project !== undefined) {
        params.push(opts.project);
        where.push(`d.project = $${params.length}`);
      }
      if (opts.search) {
        params.push(`%${opts.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
        where.push(`(d.title ILIKE $${params.length} OR d.source ILIKE $${params.length})`);
      }
      const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
      const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM documents d ${clause}`, params);
      const rows = await db.query(
        `SELECT ${documentColumns} FROM documents d ${clause} ORDER BY d.ingested_at DESC, d.id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, opts.limit, opts.offset],
      );
      return { total: total.rows[0].n, documents: rows.rows.map(toDocumentRow) };
    },

    /** Deletes a document; its chunks and feedback go with it. */
    async delete(id: string): Promise<boolean> {
      return (await deleteReturningProject(id)) !== undefined;
    },

    async addFeedback(id: string, rating: number): Promise<boolean> {
      const r = await db.query(
        "INSERT INTO feedback (document_id, rating) SELECT id, $2 FROM documents WHERE id = $1::uuid RETURNING id",
        [id, rating],
      );
      return r.rows.length > 0;
    },

    /** Marks documents as just accessed (search results). */
    async touch(ids: string[]): Promise<void> {
      if (ids.length === 0) return;
      await db.query("UPDATE documents SET last_accessed_at = now() WHERE id = ANY($1::uuid[])", [ids]);
    },

    /**
     * Garbage: never accessed (last_accessed_at = ingested_at), ingested more
     * than `olderThanDays` ago, and no positive feedback. A dry run only lists.
     */
    async collectGarbage(opts: { olderThanDays: number; dryRun: boolean }): Promise<string[]> {
      return (await collectGarbageWithProjects(opts)).map((d) => d.id);
    },

    async counts(): Promise<{ documents: number; chunks: number; quarantined: number; projects: number }> {
      const r = await db.query<{ documents: number; chunks: number; quarantined: number; projects: number }>(
        `SELECT (SELECT count(*)::int FROM documents) AS documents,
                (SELECT count(*)::int FROM chunks) AS chunks,
                (SELECT count(*)::int FROM documents WHERE quarantine) AS quarantined,
                (SELECT count(DISTINCT project)::int FROM documents) AS projects`,
      );
      return r.rows[0];
    },
  };
}

export type DocumentRepository = ReturnType<typeof createDocumentRepository>;
