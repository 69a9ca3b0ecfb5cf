import { describe, expect, it } from "vitest";
import { aidbConfigSchema } from "../../services/aidb/aidbConfigSchema.js";
import type { Embedder } from "../../services/aidb/embedder/Embedder.js";
import type { DocumentRepository } from "../../services/aidb/repo/createDocumentRepository.js";
import type { Candidate, CandidateDetail, SearchRepository } from "../../services/aidb/repo/createSearchRepository.js";
import { searchChunks, type SearchMode } from "../../services/aidb/search/searchChunks.js";

// On a pool (PostgreSQL) hybrid search runs its vector and keyword candidate
// queries at once; on one connection (PGlite) one after the other. Either
// way, and whichever query answers first, the results are the same.

const embedder: Embedder = {
  kind: "local",
  fingerprint: { name: "fake", sha256: "0".repeat(64), dimensions: 2 },
  maxInputTokens: 512,
  countTokens: (t) => t.length,
  embed: async (texts) => texts.map(() => [1, 0]),
  check: async () => ({ ok: true }),
  close: async () => {},
};
const documents = { touch: async () => {} } as unknown as DocumentRepository;
const scoring = aidbConfigSchema.parse({ embedModel: "x" });
const weights = { vector: 0.6, keyword: 0.4, version: 1, updated_at: "" };
const filter = { project: "p", includeGenerated: false, includeQuarantined: false };
const ingested = new Date("2026-01-01T00:00:00Z");

// Chunk 2 is found by both queries with different keyword ranks: the vector
// query's copy (rank 0.1) must win, as it does when the vector query runs first.
const vectorHits: Candidate[] = [
  { chunk_id: "1", distance: 0.1, rank: 0 },
  { chunk_id: "2", distance: 0.2, rank: 0.1 },
  { chunk_id: "3", distance: 0.4, rank: 0 },
];
const keywordHits: Candidate[] = [
  { chunk_id: "2", distance: 0.2, rank: 0.9 },
  { chunk_id: "4", distance: 0.5, rank: 0.5 },
  { chunk_id: "5", distance: null, rank: 0.3 },
];

/** A fake repository that records how the two queries overlapped; `keywordFirst` makes the keyword query answer first. */
function fakeSearch(opts: { concurrent: boolean; keywordFirst: boolean }) {
  const log: string[] = [];
  let releaseVector!: () => void;
  // Opened by the keyword query's end, or after 200 ms where nothing opens it
  // (queries run one after the other).
  const vectorGate = new Promise<void>((r) => {
    releaseVector = r;
    setTimeout(r, 200);
  });
  const repo: SearchRepository = {
    concurrentCandidates: opts.concurrent,
    async vectorCandidates() {
      log.push("vector:start");
      // When concurrent and keyword answers first, the vector query waits for it.
      if (opts.concurrent && opts.keywordFirst) await vectorGate;
      else await new Promise((r) => setTimeout(r, 5));
      log.push("vector:end");
      return vectorHits.map((c) => ({ ...c }));
    },
    async keywordCandidates() {
      log.push("keyword:start");
      await new Promise((r) => setTimeout(r, opts.keywordFirst ? 1 : 10));
      log.push("keyword:end");
      releaseVector();
      return keywordHits.map((c) => ({ ...c }));
    },
    async details(ids: string[]): Promise<CandidateDetail[]> {
      return ids.map((id) => ({
        chunk_id: id,
        document_id: `d${id}`,
        title: null,
        text: `chunk ${id}`,
        source_trust: "imported",
        ingested_at: ingested,
        last_accessed_at: ingested,
        positive_feedback: false,
      }));
    },
  };
  return { repo, log };
}

const run = (repo: SearchRepository, mode: SearchMode) =>
  searchChunks({ search: repo, documents, embedder, scoring }, { q: "flakes", mode, limit: 10, filter, weights, now: new Date("2026-01-02T00:00:00Z") });

describe("searchChunks candidate queries", () => {
  it("on a pool, hybrid starts both queries before either ends", async () => {
    const { repo, log } = fakeSearch({ concurrent: true, keywordFirst: true });
    await run(repo, "hybrid");
    expect(log.slice(0, 2).sort()).toEqual(["keyword:start", "vector:start"]);
    expect(log.indexOf("keyword:end")).toBeLessThan(log.indexOf("vector:end"));
  });

  it("on one connection, hybrid runs the vector query, then the keyword one", async () => {
    const { repo, log } = fakeSearch({ concurrent: false, keywordFirst: false });
    await run(repo, "hybrid");
    expect(log).toEqual(["vector:start", "vector:end", "keyword:start", "keyword:end"]);
  });

  it("gives the same results in either order, the vector query's copy of a chunk winning", async () => {
    const sequential = await run(fakeSearch({ concurrent: false, keywordFirst: false }).repo, "hybrid");
    const concurrent = await run(fakeSearch({ concurrent: true, keywordFirst: true }).repo, "hybrid");
    expect(concurrent).toEqual(sequential);
    expect(concurrent.map((r) => r.chunk_id)).toEqual(["4", "2", "1", "3", "5"]);
    // Chunk 2's keyword score comes from the vector query's rank (0.1 of the best 0.5).
    expect(concurrent.find((r) => r.chunk_id === "2")?.scores.keyword).toBeCloseTo(0.2);
  });

  it("semantic and keyword modes run only their own query", async () => {
    for (const [mode, only] of [
      ["semantic", "vector"],
      ["keyword", "keyword"],
    ] as const) {
      const { repo, log } = fakeSearch({ concurrent: true, keywordFirst: false });
      await run(repo, mode);
      expect(log).toEqual([`${only}:start`, `${only}:end`]);
    }
  });
});
