import { z } from "zod";

// What aidb remembers of each knowledge source's items (written by the
// ingest job runner as documents are stored), so a sync sends only what
// changed. GET /sources/:id/items, POST /sources/:id/items/delete.

export const sourceIdParams = z.object({ id: z.string().min(1).max(200) });

export const storedSourceItemSchema = z.object({
  key: z.string(),
  content_hash: z.string(),
  mtime_ms: z.number().nullable(),
  size: z.number().nullable(),
  etag: z.string().nullable(),
  last_modified: z.string().nullable(),
  document_id: z.string().nullable(),
  synced_at: z.string(),
});

export type StoredSourceItem = z.infer<typeof storedSourceItemSchema>;

export const sourceItemsResponseSchema = z.object({ items: z.array(storedSourceItemSchema) });

/** Items gone from the source: forgotten, and their documents deleted. */
export const deleteSourceItemsSchema = z.strictObject({ keys: z.array(z.string().min(1).max(4000)).min(1).max(100_000) });

export const deleteSourceItemsResponseSchema = z.object({ deleted_items: z.number().int(), deleted_documents: z.number().int() });
