import type { SearchMode, SearchResult } from "../api/searchContract.js";
import type { Embedder } from "../embedder/Embedder.js";

export type { SearchMode, SearchResult } from "../api/searchContract.js";
import type { DocumentRepository } from "../repo/createDocumentRepository.js";
import { iso } from "../repo/documentRow.js";
import type { Candidate, SearchFilter, SearchRepository } from "../repo/createSearchRepository.js";
import type { FusionWeights } from "../repo/createWeightsRepository.js";
import { bonusFor, decayFor, type ScoringConfig } from "./scoring.js";


export interface SearchDeps {
  search: SearchRepository;
  documents: DocumentRepository;
  embedder: Embedder;
  scoring: ScoringConfig;
}

/**
 * Search in one of three modes.
 * - `semantic`: vector candidates (cosine similarity 1 - distance, floored at 0).
 * - `keyword`: full-text candidates; ts_rank normalised by the best rank among them.
 * - `hybrid`: both candidate sets, each candidate scored by both methods,
 *   fused as `w_vector * vector + w_keyword * keyword` with the stored weights.
 *   On a pool (`search.concurrentCandidates`) the two candidate queries run
 *   in parallel; the results are the same either way.
 * The fused score is multiplied by the age decay and the access/feedback
 * bonus; the best `limit` are returned and their documents marked accessed.
 */
export async function searchChunks(
  deps: SearchDeps,
  opts: { q: string; mode: SearchMode; limit: number; filter: SearchFilter; weights: FusionWeights; now?: Date },
): Promise<SearchResult[]> {
  const k = Math.min(1000, Math.max(50, opts.limit * 5));
  const vector = opts.mode === "keyword" ? null : (await deps.embedder.embed([fitToEmbedder(deps.embedder, opts.q)]))[0];
  const wantKeyword = opts.mode !== "semantic";
  let vectorHits: Candidate[] = [];
  let keywordHits: Candidate[] = [];
  if (vector && wantKeyword && deps.search.concurrentCandidates) {
    // A pool (PostgreSQL): the two candidate queries run at once on two connections.
    [vectorHits, keywordHits] = await Promise.all([
      deps.search.vectorCandidates(vector, opts.q, opts.filter, k),
      deps.search.keywordCandidates(opts.q, vector, opts.filter, k),
    ]);
  } else {
    // One connection (PGlite): queries run one at a time anyway.
    if (vector) vectorHits = await deps.search.vectorCandidates(vector, opts.q, opts.filter, k);
    if (wantKeyword) keywordHits = await deps.search.keywordCandidates(opts.q, vector, opts.filter, k);
  }
  // Vector candidates first, then keyword ones, whichever query finished first.
  const byId = new Map<string, Candidate>();
  for (const c of vectorHits) byId.set(c.chunk_id, c);
  for (const c of keywordHits) if (!byId.has(c.chunk_id)) byId.set(c.chunk_id, c);
  const candidates = [...byId.values()].filter((c) => opts.mode !== "keyword" || c.rank > 0);
  if (candidates.length === 0) return [];
  const maxRank = Math.max(...candidates.map((c) => c.rank));
  const details = new Map((await deps.search.details(candidates.map((c) => c.chunk_id))).map((d) => [d.chunk_id, d]));
  const now = opts.now ?? new Date();
  const scored: SearchResult[] = [];
  for (const c of candidates) {
    const d = details.get(c.chunk_id);
    if (!d) continue; // deleted meanwhile
    const vectorScore = c.distance === null ? null : Math.max(0, 1 - c.distance);
    const keywordScore = maxRank > 0 ? c.rank / maxRank : opts.mode === "semantic" ? null : 0;
    const fused =
      opts.mode === "semantic"
        ? vectorScore ?? 0
        : opts.mode === "keyword"
          ? keywordScore ?? 0
          : opts.weights.vector * (vectorScore ?? 0) + opts.weights.keyword * (keywordScore ?? 0);
    const ingestedAt = new Date(d.ingested_at);
    const lastAccessedAt = new Date(d.last_accessed_at);
    const decay = decayFor(ingestedAt, now, deps.scoring);
    const bonus = bonusFor({ ingestedAt, lastAccessedAt, positiveFeedback: d.positive_feedback }, now, deps.scoring);
    scored.push({
      chunk_id: d.chunk_id,
      document_id: d.document_id,
      title: d.title,
      text: d.text,
      score: fused * decay * bonus,
      scores: { vector: vectorScore, keyword: keywordScore, fused, decay, bonus },
      source_trust: d.source_trust,
      ingested_at: iso(d.ingested_at),
      last_accessed_at: iso(d.last_accessed_at),
    });
  }
  scored.sort((a, b) => b.score - a.score || Number(a.chunk_id) - Number(b.chunk_id));
  const top = scored.slice(0, opts.limit);
  await deps.documents.touch([...new Set(top.map((r) => r.document_id))]);
  return top;
}

/**
 * A query longer than the embedding model's input is cut to what it takes
 * (its start, on a word boundary) for the vector side; the keyword side
 * still searches with all of it.
 */
export function fitToEmbedder(embedder: Pick<Embedder, "countTokens" | "maxInputTokens">, q: string): string {
  const max = embedder.maxInputTokens - 8; // room for the model's special tokens
  if (embedder.countTokens(q) <= max) return q;
  let lo = 0;
  let hi = q.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (embedder.countTokens(q.slice(0, mid)) <= max) lo = mid;
    else hi = mid - 1;
  }
  const cut = q.slice(0, lo);
  const space = cut.lastIndexOf(" ");
  return space > 0 ? cut.slice(0, space) : cut;
}
