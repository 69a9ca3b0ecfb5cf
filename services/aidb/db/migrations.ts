/**
 * The aidb schema, as numbered migrations. A migration never changes once
 * released: a new change is a new entry. `dimensions` is the embedding size,
 * fixed when the chunks table is created (from the embedder at first start).
 */
export interface Migration {
  version: number;
  name: string;
  sql: (opts: { dimensions: number }) => string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: "documents and chunks",
    sql: ({ dimensions }) => `
      CREATE EXTENSION IF NOT EXISTS vector;
      CREATE TABLE aidb_meta (
        key text PRIMARY KEY,
        value jsonb NOT NULL
      );
      CREATE TABLE documents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        project text NOT NULL,
        title text,
        source text,
        source_trust text NOT NULL DEFAULT 'imported' CHECK (source_trust IN ('trusted', 'imported', 'generated')),
        content_hash text NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        ingested_at timestamptz NOT NULL DEFAULT now(),
        last_accessed_at timestamptz NOT NULL DEFAULT now(),
        quarantine boolean NOT NULL DEFAULT false,
        injection_score real NOT NULL DEFAULT 0,
        redactions integer NOT NULL DEFAULT 0,
        chunk_count integer NOT NULL,
        UNIQUE (project, content_hash)
      );
      CREATE TABLE chunks (
        id bigserial PRIMARY KEY,
        document_id uuid NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        position integer NOT NULL,
        text text NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
        embedding vector(${dimensions}) NOT NULL,
        model_fingerprint text NOT NULL,
        UNIQUE (document_id, position)
      );
      CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv);
      CREATE INDEX chunks_embedding_idx ON chunks USING hnsw (embedding vector_cosine_ops);
    `,
  },
  {
    version: 2,
    name: "feedback, fusion weights, access indexes",
    sql: () => `
      CREATE TABLE feedback (
        id bigserial PRIMARY KEY,
        document_id uuid NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        rating smallint NOT NULL CHECK (rating BETWEEN -1 AND 1),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX feedback_document_idx ON feedback (document_id);
      CREATE TABLE fusion_weights (
        version integer PRIMARY KEY,
        vector real NOT NULL CHECK (vector >= 0),
        keyword real NOT NULL CHECK (keyword >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO fusion_weights (version, vector, keyword) VALUES (1, 0.6, 0.4);
      CREATE INDEX documents_project_idx ON documents (project);
      CREATE INDEX documents_ingested_idx ON documents (ingested_at);
    `,
  },
  {
    version: 3,
    name: "keyword index without a pending list",
    // GIN's fast-update pending list is scanned linearly by every query until
    // vacuum merges it: after a bulk ingest, keyword search took ~9 ms at 10k
    // chunks in the pending list. Insert into the index directly instead.
    sql: () => `
      ALTER INDEX chunks_tsv_idx SET (fastupdate = off);
      SELECT gin_clean_pending_list('chunks_tsv_idx'::regclass)
    `,
  },
];

export const latestVersion = migrations[migrations.length - 1].version;
