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
  {
    version: 5,
    name: "learning loop: proposals, eval runs, ingest jobs, dead letters, knowledge source items",
    // Proposals and their events are kept for good (no cascade from events);
    // a job's items go with the job; dead letters hold cleaned (sanitised and
    // redacted) documents only, never the raw input.
    sql: () => `
      CREATE TABLE learning_proposals (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        created_at timestamptz NOT NULL DEFAULT now(),
        type text NOT NULL,
        target text NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'applied', 'rejected', 'superseded')),
        proposal jsonb NOT NULL,
        decided_at timestamptz
      );
      CREATE INDEX learning_proposals_status_idx ON learning_proposals (status, created_at);
      CREATE INDEX learning_proposals_target_idx ON learning_proposals (target, created_at);
      CREATE TABLE learning_proposal_events (
        id bigserial PRIMARY KEY,
        proposal_id uuid NOT NULL REFERENCES learning_proposals(id),
        at timestamptz NOT NULL DEFAULT now(),
        event text NOT NULL CHECK (event IN ('proposed', 'applied', 'rejected', 'superseded', 'apply_failed')),
        actor text NOT NULL,
        note text,
        detail jsonb NOT NULL DEFAULT '{}'::jsonb
      );
      CREATE INDEX learning_proposal_events_proposal_idx ON learning_proposal_events (proposal_id, at);
      CREATE INDEX learning_proposal_events_event_idx ON learning_proposal_events (event, at);
      CREATE TABLE eval_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        suite text NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL DEFAULT now(),
        score double precision CHECK (score IS NULL OR (score >= 0 AND score <= 1)),
        passed integer NOT NULL,
        failed integer NOT NULL,
        skipped integer NOT NULL,
        floor double precision NOT NULL,
        details jsonb NOT NULL
      );
      CREATE INDEX eval_runs_suite_idx ON eval_runs (suite, started_at);
      CREATE TABLE ingest_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        label text NOT NULL,
        status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'waiting', 'done')),
        total integer NOT NULL,
        next_offset integer NOT NULL DEFAULT 0,
        stored integer NOT NULL DEFAULT 0,
        duplicates integer NOT NULL DEFAULT 0,
        failed integer NOT NULL DEFAULT 0,
        dead_lettered integer NOT NULL DEFAULT 0,
        last_error text,
        not_before timestamptz NOT NULL DEFAULT now(),
        lease_owner text,
        lease_until timestamptz
      );
      CREATE INDEX ingest_jobs_status_idx ON ingest_jobs (status, created_at);
      CREATE TABLE ingest_job_items (
        job_id uuid NOT NULL REFERENCES ingest_jobs(id) ON DELETE CASCADE,
        position integer NOT NULL,
        item jsonb NOT NULL,
        PRIMARY KEY (job_id, position)
      );
      CREATE TABLE ingest_dead_letters (
        id bigserial PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        project text NOT NULL,
        item jsonb NOT NULL,
        stage text NOT NULL,
        error text NOT NULL,
        attempts integer NOT NULL,
        job_id uuid,
        source_id text
      );
      CREATE INDEX ingest_dead_letters_created_idx ON ingest_dead_letters (created_at);
      CREATE TABLE knowledge_source_items (
        source_id text NOT NULL,
        item_key text NOT NULL,
        content_hash text NOT NULL,
        mtime_ms double precision,
        size bigint,
        etag text,
        last_modified text,
        document_id uuid REFERENCES documents(id) ON DELETE SET NULL,
        synced_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source_id, item_key)
      )
    `,
  },
];

export const latestVersion = migrations[migrations.length - 1].version;
