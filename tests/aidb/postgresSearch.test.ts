import { afterAll, beforeAll, expect, it } from "vitest";
import type { Db, Queryable } from "../../services/aidb/db/Db.js";
import { migrate } from "../../services/aidb/db/migrate.js";
import { openDb } from "../../services/aidb/db/openDb.js";
import { createSearchRepository } from "../../services/aidb/repo/createSearchRepository.js";
import type { PostgresCluster } from "../helpers/startPostgres.js";
import { send, startAidbApp } from "./helpers/startAidbApp.js";
import { acquireTestCluster, describePostgres, productionPoolSettings, releaseTestCluster } from "./helpers/testDb.js";

// aidb's search and ingestion on real PostgreSQL 15 with pgvector, through
// the production driver (a pool of 4 with production's session settings):
// ingestion and search at the same time, and the query plans of the SQL the
// search repository actually runs.

/** A small seeded generator, so the data (and the plans) are the same every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const words = ["flake", "module", "option", "overlay", "derivation", "closure", "store", "channel", "profile", "garbage", "service", "socket", "timer", "vector", "index", "cache", "model", "token", "search", "chunk"];

describePostgres("aidb search on real PostgreSQL", () => {
  let cluster: PostgresCluster;
  const open: Db[] = [];
  beforeAll(async () => {
    cluster = await acquireTestCluster();
  });
  afterAll(async () => {
    for (const db of open) await db.close();
    if (cluster) await releaseTestCluster();
  });
  const freshDb = async () => {
    const db = await openDb({ databaseUrl: await cluster.createDatabase(), ...productionPoolSettings() });
    open.push(db);
    return db;
  };

  it("ingests many documents while searches run on the same pool: every search succeeds, sees each document whole or not at all, and finds every document at the end", async () => {
    const db = await freshDb();
    // Small chunks, so every document has several.
    const aidb = await startAidbApp(db, { chunkTokens: 24, chunkOverlapTokens: 4 });
    try {
      const n = 48;
      const rnd = random(7);
      const docs = Array.from({ length: n }, (_, i) => ({
        project: `p${i}`,
        title: `document ${i}`,
        text: `marker${i} ` + Array.from({ length: 15 }, () => words[Math.floor(rnd() * words.length)]).join(" ") + ".",
      }));
      const batches = Array.from({ length: n / 6 }, (_, b) => docs.slice(b * 6, b * 6 + 6));

      type Seen = { i: number; documents: string[]; chunks: number };
      const seen: Seen[] = [];
      let ingesting = true;
      let searches = 0;
      let wholeChecks = 0;
      const searcher = async (seed: number) => {
        const pick = random(seed);
        while (ingesting) {
          const i = Math.floor(pick() * n);
          // Each document is alone in its project: a semantic search there returns all of its chunks.
          const r = await send(`${aidb.url}/search?${new URLSearchParams({ q: `marker${i} ${words[i % words.length]}`, project: `p${i}`, mode: "semantic", limit: "100" })}`, "GET");
          expect(r.status, JSON.stringify(r.body)).toBe(200);
          seen.push({ i, documents: [...new Set(r.body.results.map((x: { document_id: string }) => x.document_id))] as string[], chunks: r.body.results.length });
          // And a search over everything, in the mode the coordinator uses.
          const h = await send(`${aidb.url}/search?${new URLSearchParams({ q: words[i % words.length], mode: "hybrid", limit: "10" })}`, "GET");
          expect(h.status, JSON.stringify(h.body)).toBe(200);
          searches += 2;
        }
      };
      const checker = async () => {
        while (ingesting) {
          // One statement, one snapshot: no document with some of its chunks, no chunk without its document.
          const r = await db.query<{ partial: number; orphans: number }>(
            `SELECT (SELECT count(*)::int FROM documents d WHERE d.chunk_count <> (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)) AS partial,
                    (SELECT count(*)::int FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = c.document_id)) AS orphans`,
          );
          expect(r.rows[0]).toEqual({ partial: 0, orphans: 0 });
          wholeChecks++;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      };
      const ingest = async () => {
        try {
          // Three requests at a time, each storing its documents one transaction each.
          const results: { id: string; status: string; chunks: number }[] = [];
          for (let b = 0; b < batches.length; b += 3) {
            const answers = await Promise.all(batches.slice(b, b + 3).map((documents) => send(`${aidb.url}/documents`, "POST", { documents })));
            for (const a of answers) {
              expect(a.status, JSON.stringify(a.body)).toBe(200);
              results.push(...a.body.results);
            }
          }
          return results;
        } finally {
          ingesting = false;
        }
      };
      const [stored] = await Promise.all([ingest(), searcher(1), searcher(2), checker()]);

      expect(stored.map((r) => r.status)).toEqual(docs.map(() => "stored"));
      for (const r of stored) expect(r.chunks).toBeGreaterThanOrEqual(2);
      // The searches ran while documents were arriving: some saw a document, some not yet.
      expect(seen.length).toBeGreaterThanOrEqual(10);
      expect(seen.some((s) => s.chunks === 0)).toBe(true);
      expect(seen.some((s) => s.chunks > 0)).toBe(true);
      expect(wholeChecks).toBeGreaterThan(0);
      for (const s of seen) {
        if (s.chunks === 0) continue;
        expect(s.documents, `search in p${s.i}`).toEqual([stored[s.i].id]);
        expect(s.chunks, `chunks of document ${s.i} seen by a search`).toBe(stored[s.i].chunks);
      }

      // At the end every document is found, whole, by its marker and by its project (four searches at a time).
      const findAll = async (i: number, id: string, chunks: number) => {
        const kw = await send(`${aidb.url}/search?${new URLSearchParams({ q: `marker${i}`, mode: "keyword", limit: "5" })}`, "GET");
        expect(kw.status).toBe(200);
        expect(kw.body.results.length, `keyword marker${i}`).toBeGreaterThan(0);
        expect(new Set(kw.body.results.map((x: { document_id: string }) => x.document_id)), `keyword marker${i}`).toEqual(new Set([id]));
        const all = await send(`${aidb.url}/search?${new URLSearchParams({ q: "anything", project: `p${i}`, mode: "semantic", limit: "100" })}`, "GET");
        expect(all.body.results, `semantic p${i}`).toHaveLength(chunks);
      };
      for (let i = 0; i < n; i += 4) await Promise.all(stored.slice(i, i + 4).map((r, j) => findAll(i + j, r.id, r.chunks)));
      const listed = await send(`${aidb.url}/documents?limit=1`, "GET");
      expect(listed.body.total).toBe(n);
      console.log(`concurrent ingest: ${n} documents, ${stored.reduce((a, r) => a + r.chunks, 0)} chunks, ${searches} searches and ${wholeChecks} snapshot checks during ingestion`);
    } finally {
      await aidb.close();
    }
  });

  it("the vector and keyword candidate queries the search repository runs use the HNSW and GIN indexes", async () => {
    const db = await freshDb();
    const dims = 32;
    await migrate(db, { dimensions: dims });

    // 4,000 chunks of 400 documents: vectors in 40 clusters, texts of 8
    // words from a vocabulary of 400 (each word in about 2% of the chunks).
    const rnd = random(42);
    const centers = Array.from({ length: 40 }, () => Array.from({ length: dims }, () => rnd() * 2 - 1));
    const near = (center: number[], spread: number) => center.map((x) => x + (rnd() * 2 - 1) * spread);
    const documents = 400;
    const perDocument = 10;
    const docIds = Array.from({ length: documents }, (_, d) => `00000000-0000-4000-8000-${String(d).padStart(12, "0")}`);
    await db.query(
      `INSERT INTO documents (id, project, title, content_hash, chunk_count)
       SELECT id, 'p' || (n % 8), 'doc ' || n, 'h' || n, $2 FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, n)`,
      [docIds, perDocument],
    );
    const chunkDoc: string[] = [];
    const chunkPos: number[] = [];
    const chunkText: string[] = [];
    const chunkVec: string[] = [];
    for (const [d, id] of docIds.entries()) {
      for (let p = 0; p < perDocument; p++) {
        chunkDoc.push(id);
        chunkPos.push(p);
        chunkText.push(Array.from({ length: 8 }, () => `w${Math.floor(rnd() * 400)}`).join(" "));
        chunkVec.push(`[${near(centers[(d * perDocument + p) % centers.length], 0.15).join(",")}]`);
      }
    }
    // Loaded without the search indexes, which are then built again from
    // their own definitions (as migrated): a bulk build is several times
    // faster than inserting row by row into the HNSW graph.
    const indexes = await db.query<{ name: string; def: string }>(
      "SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE tablename = 'chunks' AND indexname IN ('chunks_embedding_idx', 'chunks_tsv_idx')",
    );
    expect(indexes.rows).toHaveLength(2);
    for (const { name } of indexes.rows) await db.query(`DROP INDEX ${name}`);
    await db.query(
      `INSERT INTO chunks (document_id, position, text, embedding, model_fingerprint)
       SELECT d, p, t, e::vector, 'test' FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[]) AS u(d, p, t, e)`,
      [chunkDoc, chunkPos, chunkText, chunkVec],
    );
    for (const { def } of indexes.rows) await db.query(def);
    await db.query("ANALYZE");

    // The repository's own SQL and parameters, captured as it runs them.
    const statements: { sql: string; params: unknown[] }[] = [];
    const capture = (q: Queryable): Queryable => ({
      query: (sql, params) => {
        statements.push({ sql, params: params ?? [] });
        return q.query(sql, params);
      },
    });
    const spied: Db = { ...db, query: capture(db).query, transaction: (fn) => db.transaction((tx) => fn(capture(tx))) };
    const search = createSearchRepository(spied);
    const filter = { includeGenerated: false, includeQuarantined: false };
    const k = 50; // searchChunks asks for max(50, 5 × limit)
    const query = near(centers[3], 0.05);
    const term = chunkText[123].split(" ")[0];

    const plans: Record<string, unknown[]> = {};
    for (const [name, run] of [
      ["vector", () => search.vectorCandidates(query, term, filter, k)],
      ["keyword", () => search.keywordCandidates(term, query, filter, k)],
    ] as const) {
      statements.length = 0;
      const found = await run();
      expect(found.length, name).toBeGreaterThan(0);
      // The indexed query answered alone (no exact fallback), so it is the one that matters.
      expect(statements, `${name}: ${statements.map((s) => s.sql).join("\n---\n")}`).toHaveLength(1);
      const [{ sql, params }] = statements;
      const explained = await db.query<{ "QUERY PLAN": unknown[] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
      plans[name] = nodes((explained.rows[0]["QUERY PLAN"][0] as { Plan: PlanNode }).Plan);
    }

    const uses = (name: string, index: string) => (plans[name] as PlanNode[]).filter((p) => p["Index Name"] === index);
    const scansOfChunks = (name: string) => (plans[name] as PlanNode[]).filter((p) => p["Node Type"] === "Seq Scan" && p["Relation Name"] === "chunks");
    const hnsw = uses("vector", "chunks_embedding_idx");
    expect(hnsw.map((p) => p["Node Type"]), JSON.stringify(plans.vector)).toEqual(["Index Scan"]);
    expect(hnsw[0]["Actual Rows"]).toBeGreaterThanOrEqual(k);
    expect(scansOfChunks("vector")).toEqual([]);
    const gin = uses("keyword", "chunks_tsv_idx");
    expect(gin.map((p) => p["Node Type"]), JSON.stringify(plans.keyword)).toEqual(["Bitmap Index Scan"]);
    expect(gin[0]["Actual Rows"]).toBeGreaterThan(0);
    expect(scansOfChunks("keyword")).toEqual([]);
  });
});

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  "Actual Rows"?: number;
  Plans?: PlanNode[];
}

/** Every node of a JSON plan, depth first. */
function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}
