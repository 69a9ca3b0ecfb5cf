import type { SourceTrust } from "../api/documentsContract.js";

/** A document as the API shows it. */
export interface DocumentRow {
  id: string;
  project: string;
  title: string | null;
  source: string | null;
  source_trust: SourceTrust;
  content_hash: string;
  metadata: Record<string, unknown>;
  ingested_at: string;
  last_accessed_at: string;
  quarantine: boolean;
  injection_score: number;
  redactions: number;
  chunk_count: number;
  positive_feedback: number;
}

export const documentColumns = `d.id::text AS id, d.project, d.title, d.source, d.source_trust, d.content_hash, d.metadata,
  d.ingested_at, d.last_accessed_at, d.quarantine, d.injection_score, d.redactions, d.chunk_count,
  (SELECT count(*)::int FROM feedback f WHERE f.document_id = d.id AND f.rating > 0) AS positive_feedback`;

/** Timestamps as ISO strings whatever the driver returns. */
export function toDocumentRow(r: Record<string, unknown>): DocumentRow {
  return {
    ...(r as unknown as DocumentRow),
    ingested_at: iso(r.ingested_at),
    last_accessed_at: iso(r.last_accessed_at),
    injection_score: Number(r.injection_score),
  };
}

export function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
}
