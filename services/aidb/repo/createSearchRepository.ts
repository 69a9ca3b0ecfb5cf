import type { Db } from "../db/Db.js";
import type { SourceTrust } from "../api/documentsContract.js";

export interface SearchFilter {
  project?: string;
  includeGenerated: boolean;
  includeQuarantined: boolean;
}

export interface Candidate {
  chunk_id: string;
  /** Cosine distance to the query vector, when there is one. */
  distance: number | null;
  /** ts_rank against the keyword query; 0 when it does not match. */
  rank: number;
}

export interface CandidateDetail {
  chunk_id: string;
  document_id: string;
  title: string | null;
  text: string;
  source_trust: SourceTrust;
  ingested_at: Date | string;
  last_accessed_at: Date | string;
  positive_feedback: boolean;
}

const filterSql = (first: number) => `
  ($${first}::text IS NULL OR d.project = $${first})
  AND ($${first + 1}::boolean OR d.source_trust <> 'generated')
  AND ($${first + 2}::boolean OR NOT d.quarantine)`;

/*
 * documentPerRow: a few hundred candidate chunks are joined to their
 * documents as a LATERAL subquery with OFFSET 0, which the planner cannot
 * flatten into a join, so each candidate costs one primary-key lookup. As a
 * plain join it hashes the whole documents table instead: at 100k chunks
 * (10k documents) on PostgreSQL 15 that sequential scan took, in EXPLAIN
 * ANALYZE, 3 of the vector query's 5 ms and 2.7 of the details query's 3 ms.
 */

/** The SQL side of search: candidates by vector (HNSW) and by keyword (GIN), then their details. */
export function createSearchRepository(db: Db) {
  const filterParams = (f: SearchFilter) => [f.project ?? null, f.includeGenerated, f.includeQuarantined];
  return {
    /**
     * Whether the vector and keyword candidate queries may run at once: a
     * `pg` pool gives each its own connection. PGlite has one connection and
     * runs queries one at a time, so there they run one after the other.
     */
    concurrentCandidates: db.driver === "pg",

    /** Nearest chunks by cosine distance (HNSW, exact when the index gives fewer than k), with their keyword rank. */
    async vectorCandidates(vector: number[], q: string | null, filter: SearchFilter, k: number): Promise<Candidate[]> {
      const params = [vector, q, ...filterParams(filter), k];
      // The nearest chunks come from the HNSW index alone (a materialised
      // CTE: joined and filtered in one query, the planner prefers a
      // sequential scan and a sort, ~10x slower at 10k chunks), over-fetched
      // twice, then filtered by their documents, one primary-key lookup each
      // (see documentPerRow).
      const indexed = `WITH nn AS MATERIALIZED (
           SELECT c.id, c.document_id, c.tsv, c.embedding <=> $1::real[]::vector AS distance
           FROM chunks c ORDER BY c.embedding <=> $1::real[]::vector LIMIT $6 * 2)
         SELECT nn.id::text AS chunk_id, nn.distance,
                CASE WHEN $2::text IS NULL THEN 0 ELSE ts_rank(nn.tsv, websearch_to_tsquery('english', $2::text)) END AS rank
         FROM nn CROSS JOIN LATERAL (SELECT 1 FROM documents d WHERE d.id = nn.document_id AND ${filterSql(3)} OFFSET 0) d
         ORDER BY nn.distance LIMIT $6`;
      let r = await db.query<{ chunk_id: string; distance: number; rank: number | null }>(indexed, params);
      if (r.rows.length < k) {
        // Fewer than asked: a small store, a selective filter, or an HNSW
        // graph weakened by many identical vectors (boilerplate chunks).
        // An exact scan over the filtered chunks finds everything.
        const exact = `SELECT c.id::text AS chunk_id, c.embedding <=> $1::real[]::vector AS distance,
                CASE WHEN $2::text IS NULL THEN 0 ELSE ts_rank(c.tsv, websearch_to_tsquery('english', $2::text)) END AS rank
           FROM chunks c JOIN documents d ON d.id = c.document_id
           WHERE ${filterSql(3)}
           ORDER BY c.embedding <=> $1::real[]::vector LIMIT $6`;
        r = await db.transaction(async (tx) => {
          await tx.query("SET LOCAL enable_indexscan = off");
          return tx.query<{ chunk_id: string; distance: number; rank: number | null }>(exact, params);
        });
      }
      return r.rows.map((x) => ({ chunk_id: x.chunk_id, distance: Number(x.distance), rank: Number(x.rank ?? 0) }));
    },

    /** Best keyword matches (websearch syntax, English stemming), with their vector distance when a vector is given. */
    async keywordCandidates(q: string, vector: number[] | null, filter: SearchFilter, k: number): Promise<Candidate[]> {
      const params = [q, vector, ...filterParams(filter), k];
      type Row = { chunk_id: string; distance: number | null; rank: number; fetched?: number };
      // Ranked from the GIN matches alone, over-fetched twice, then filtered
      // by their documents; the vector distance only for those few.
      const ranked = `WITH kw AS MATERIALIZED (
           SELECT c.id, c.document_id, ts_rank(c.tsv, query) AS rank
           FROM chunks c, websearch_to_tsquery('english', $1::text) query
           WHERE c.tsv @@ query
           ORDER BY rank DESC, c.id LIMIT $6 * 2)
         SELECT kw.id::text AS chunk_id, kw.rank,
                CASE WHEN $2::real[] IS NULL THEN NULL
                     ELSE (SELECT e.embedding <=> $2::real[]::vector FROM chunks e WHERE e.id = kw.id) END AS distance,
                (SELECT count(*)::int FROM kw) AS fetched
         FROM kw JOIN documents d ON d.id = kw.document_id
         WHERE ${filterSql(3)}
         ORDER BY kw.rank DESC, kw.id LIMIT $6`;
      let r = await db.query<Row>(ranked, params);
      if (r.rows.length < k && (r.rows.length === 0 || Number(r.rows[0].fetched) >= 2 * k)) {
        // The filter removed many of the best matches: rank every filtered
        // match. (Fewer rows than asked with an unsaturated CTE means all
        // matches are already here.)
        r = await db.query<Row>(
          `SELECT c.id::text AS chunk_id, ts_rank(c.tsv, query) AS rank,
                  CASE WHEN $2::real[] IS NULL THEN NULL ELSE c.embedding <=> $2::real[]::vector END AS distance
           FROM chunks c JOIN documents d ON d.id = c.document_id, websearch_to_tsquery('english', $1::text) query
           WHERE c.tsv @@ query AND ${filterSql(3)}
           ORDER BY rank DESC, c.id
           LIMIT $6`,
          params,
        );
      }
      return r.rows.map((x) => ({ chunk_id: x.chunk_id, distance: x.distance === null ? null : Number(x.distance), rank: Number(x.rank) }));
    },

    async details(chunkIds: string[]): Promise<CandidateDetail[]> {
      if (chunkIds.length === 0) return [];
      const r = await db.query<CandidateDetail>(
        // One primary-key lookup of the document per chunk (see documentPerRow).
        `SELECT c.id::text AS chunk_id, d.id::text AS document_id, d.title, c.text, d.source_trust, d.ingested_at, d.last_accessed_at,
                EXISTS (SELECT 1 FROM feedback f WHERE f.document_id = d.id AND f.rating > 0) AS positive_feedback
         FROM chunks c CROSS JOIN LATERAL (SELECT * FROM documents d WHERE d.id = c.document_id OFFSET 0) d
         WHERE c.id = ANY($1::bigint[])`,
        [chunkIds],
      );
      return r.rows;
    },
  };
}

export type SearchRepository = ReturnType<typeof createSearchRepository>;
