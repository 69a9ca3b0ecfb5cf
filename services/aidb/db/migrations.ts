import { maxFeedbackNoteChars } from "../api/interactionsContract.js";

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
  {
    version: 4,
    name: "interactions, interaction feedback, query gaps",
    // The coordinator's record of its answers, served by /interactions. Until
    // this version the coordinator migrated these tables itself (tracked in
    // coordinator_schema_migrations, one version, the same definitions), so
    // a database it set up keeps them: IF NOT EXISTS, and its tracking table
    // goes.
    sql: () => `
      CREATE TABLE IF NOT EXISTS interactions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        created_at timestamptz NOT NULL DEFAULT now(),
        project text,
        query_text text NOT NULL,
        query_hash text NOT NULL,
        backend text NOT NULL,
        reason text NOT NULL,
        fallback_reason text,
        routing_override text,
        local_confidence_score double precision,
        threshold double precision,
        best_score double precision,
        cache_hit boolean NOT NULL DEFAULT false,
        variant text,
        timings jsonb NOT NULL DEFAULT '{}'::jsonb,
        document_ids text[] NOT NULL DEFAULT '{}'::text[],
        sources jsonb NOT NULL DEFAULT '[]'::jsonb,
        response_chars integer NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'error', 'aborted')),
        error text
      );
      CREATE INDEX IF NOT EXISTS interactions_created_at_idx ON interactions (created_at);
      CREATE INDEX IF NOT EXISTS interactions_query_hash_idx ON interactions (query_hash, created_at);
      CREATE INDEX IF NOT EXISTS interactions_project_created_at_idx ON interactions (project, created_at);
      CREATE TABLE IF NOT EXISTS interaction_feedback (
        id bigserial PRIMARY KEY,
        interaction_id uuid NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
        rating smallint NOT NULL CHECK (rating IN (-1, 1)),
        note text CHECK (note IS NULL OR char_length(note) <= ${maxFeedbackNoteChars}),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX IF NOT EXISTS interaction_feedback_interaction_idx ON interaction_feedback (interaction_id, created_at);
      CREATE TABLE IF NOT EXISTS query_gaps (
        id bigserial PRIMARY KEY,
        query_text_hash text NOT NULL,
        query_text text NOT NULL,
        "timestamp" timestamptz NOT NULL DEFAULT now(),
        score double precision NOT NULL,
        collection_searched text NOT NULL,
        interaction_id uuid REFERENCES interactions(id) ON DELETE SET NULL
      );
      CREATE INDEX IF NOT EXISTS query_gaps_timestamp_idx ON query_gaps ("timestamp");
      CREATE INDEX IF NOT EXISTS query_gaps_hash_timestamp_idx ON query_gaps (query_text_hash, "timestamp");
      CREATE INDEX IF NOT EXISTS query_gaps_interaction_idx ON query_gaps (interaction_id);
      DROP TABLE IF EXISTS coordinator_schema_migrations
    `,
  },
];

export const latestVersion = migrations[migrations.length - 1].version;
