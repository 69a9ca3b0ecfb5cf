/**
 * The coordinator's schema, as numbered migrations recorded in its own table
 * `coordinator_schema_migrations` (aidb owns `schema_migrations`, and the two
 * may share one database). A migration never changes once released: a new
 * change is a new entry. Each migration is a list of single statements, so
 * both drivers run them the same way (PGlite's `query` takes one statement).
 */
export interface CoordinatorMigration {
  version: number;
  name: string;
  statements: string[];
}

/** The longest feedback note stored, in characters (after redaction; longer notes are cut). */
export const maxFeedbackNoteChars = 2000;

/** The advisory lock held while migrating; aidb's is 4242001. */
export const coordinatorMigrationLockKey = 4242002;

export const coordinatorMigrations: CoordinatorMigration[] = [
  {
    version: 1,
    name: "interactions, interaction feedback, query gaps",
    statements: [
      `CREATE TABLE interactions (
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
      )`,
      `CREATE INDEX interactions_created_at_idx ON interactions (created_at)`,
      `CREATE INDEX interactions_query_hash_idx ON interactions (query_hash, created_at)`,
      `CREATE INDEX interactions_project_created_at_idx ON interactions (project, created_at)`,
      `CREATE TABLE interaction_feedback (
        id bigserial PRIMARY KEY,
        interaction_id uuid NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
        rating smallint NOT NULL CHECK (rating IN (-1, 1)),
        note text CHECK (note IS NULL OR char_length(note) <= ${maxFeedbackNoteChars}),
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX interaction_feedback_interaction_idx ON interaction_feedback (interaction_id, created_at)`,
      `CREATE TABLE query_gaps (
        id bigserial PRIMARY KEY,
        query_text_hash text NOT NULL,
        query_text text NOT NULL,
        "timestamp" timestamptz NOT NULL DEFAULT now(),
        score double precision NOT NULL,
        collection_searched text NOT NULL,
        interaction_id uuid REFERENCES interactions(id) ON DELETE SET NULL
      )`,
      `CREATE INDEX query_gaps_timestamp_idx ON query_gaps ("timestamp")`,
      `CREATE INDEX query_gaps_hash_timestamp_idx ON query_gaps (query_text_hash, "timestamp")`,
      `CREATE INDEX query_gaps_interaction_idx ON query_gaps (interaction_id)`,
    ],
  },
];

export const coordinatorLatestVersion = coordinatorMigrations[coordinatorMigrations.length - 1].version;
