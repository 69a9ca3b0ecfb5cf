import type { Db, Queryable } from "../db/Db.js";
import type { SourceItem } from "../api/ingestJobsContract.js";
import type { StoredSourceItem } from "../api/sourcesContract.js";

/** What aidb remembers of each knowledge source's items, so a sync sends only what changed. */
export function createSourceItemRepository(db: Db) {
  return {
    async list(sourceId: string): Promise<StoredSourceItem[]> {
      const r = await db.query<Record<string, unknown>>(
        `SELECT item_key, content_hash, mtime_ms, size::float8 AS size, etag, last_modified, document_id::text AS document_id, synced_at
         FROM knowledge_source_items WHERE source_id = $1 ORDER BY item_key`,
        [sourceId],
      );
      return r.rows.map((x) => ({
        key: x.item_key as string,
        content_hash: x.content_hash as string,
        mtime_ms: x.mtime_ms === null ? null : Number(x.mtime_ms),
        size: x.size === null ? null : Number(x.size),
        etag: (x.etag as string | null) ?? null,
        last_modified: (x.last_modified as string | null) ?? null,
        document_id: (x.document_id as string | null) ?? null,
        synced_at: new Date(x.synced_at as string).toISOString(),
      }));
    },

    /**
     * Records an item as synced to `documentId`. When the item was synced to
     * another document before (the file changed), that document is deleted
     * unless another item still points at it; its project is returned so the
     * caller can bump the cache stamps.
     */
    async record(item: SourceItem, documentId: string): Promise<{ replacedProject?: string }> {
      return db.transaction(async (tx) => {
        const before = await tx.query<{ document_id: string | null }>(
          "SELECT document_id::text AS document_id FROM knowledge_source_items WHERE source_id = $1 AND item_key = $2 FOR UPDATE",
          [item.source_id, item.key],
        );
        await tx.query(
          `INSERT INTO knowledge_source_items (source_id, item_key, content_hash, mtime_ms, size, etag, last_modified, document_id, synced_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::uuid, now())
           ON CONFLICT (source_id, item_key) DO UPDATE SET content_hash = EXCLUDED.content_hash, mtime_ms = EXCLUDED.mtime_ms,
             size = EXCLUDED.size, etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified, document_id = EXCLUDED.document_id, synced_at = now()`,
          [item.source_id, item.key, item.content_hash, item.mtime_ms, item.size, item.etag, item.last_modified, documentId],
        );
        const old = before.rows[0]?.document_id;
        if (!old || old === documentId) return {};
        return { replacedProject: await deleteOrphan(tx, old) };
      });
    },

    /** Forgets items gone from the source and deletes their documents (unless another item points at one). */
    async remove(sourceId: string, keys: string[]): Promise<{ deletedItems: number; deletedDocuments: number; projects: string[] }> {
      return db.transaction(async (tx) => {
        const gone = await tx.query<{ document_id: string | null }>(
          "DELETE FROM knowledge_source_items WHERE source_id = $1 AND item_key = ANY($2::text[]) RETURNING document_id::text AS document_id",
          [sourceId, keys],
        );
        const projects: string[] = [];
        for (const row of gone.rows) {
          if (!row.document_id) continue;
          const project = await deleteOrphan(tx, row.document_id);
          if (project) projects.push(project);
        }
        return { deletedItems: gone.rows.length, deletedDocuments: projects.length, projects };
      });
    },
  };
}

/** Deletes a document no source item points at any more; its project, or undefined when it stays (or was gone). */
async function deleteOrphan(tx: Queryable, documentId: string): Promise<string | undefined> {
  const r = await tx.query<{ project: string }>(
    `DELETE FROM documents d WHERE d.id = $1::uuid AND NOT EXISTS (SELECT 1 FROM knowledge_source_items s WHERE s.document_id = d.id)
     RETURNING project`,
    [documentId],
  );
  return r.rows[0]?.project;
}

export type SourceItemRepository = ReturnType<typeof createSourceItemRepository>;
