// aidb benchmarks (issues 3 and 10): hybrid against vector-only search
// latency, HNSW recall@10 against an exact scan on clustered data, and
// ingestion rates, on PGlite (in-process) and on native PostgreSQL 15 with
// pgvector (when it is installed), from the same run; then embedding-cache
// hit against miss latency.
import { randomUUID } from "node:crypto";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { aidbConfigSchema } from "../services/aidb/aidbConfigSchema.js";
import { createAidbMetrics } from "../services/aidb/createAidbMetrics.js";
import type { Db } from "../services/aidb/db/Db.js";
import { migrate } from "../services/aidb/db/migrate.js";
import { openDb, sessionStatements } from "../services/aidb/db/openDb.js";
import { openPglite } from "../services/aidb/db/openPglite.js";
import { createLocalEmbedder } from "../services/aidb/embedder/createLocalEmbedder.js";
import type { Embedder } from "../services/aidb/embedder/Embedder.js";
import { createEmbeddingCache } from "../services/aidb/embeddingCache/createEmbeddingCache.js";
import { ingestDocuments } from "../services/aidb/ingest/ingestDocuments.js";
import { createDocumentRepository } from "../services/aidb/repo/createDocumentRepository.js";
import { createSearchRepository, type SearchRepository } from "../services/aidb/repo/createSearchRepository.js";
import { searchChunks, type SearchMode } from "../services/aidb/search/searchChunks.js";
import { synthModel } from "../services/models/synthModel.js";
// The same throwaway PostgreSQL cluster the tests use (no test framework in it).
import { postgresMissing, startPostgres } from "../tests/helpers/startPostgres.js";
import type { Suite, SuiteOptions, SuiteRun } from "./benchSuites.js";
import { median } from "./benchUtils.js";
import type { BenchResult } from "./inferenceBench.js";

const dims = 384;
const config = aidbConfigSchema.parse({ embedModel: "x" });
const efSearch = config.efSearch;
const perDoc = 10;
/** Chunks per cluster: topics grow with the store (see the method). */
const chunksPerCluster = 200;
const spread = 1.2;

function sizes(smoke: boolean) {
  return smoke
    ? { pglite: 200, pg: 1000, queries: 10, warmup: 2, recall: 5, ingestDocs: 3, repoDocs: 5, cacheProbes: 5 }
    : {
        pglite: Number(process.env.BENCH_AIDB_CHUNKS ?? 10_000),
        pg: Number(process.env.BENCH_AIDB_PG_CHUNKS ?? 100_000),
        queries: 1000,
        warmup: 50,
        recall: 200,
        ingestDocs: 200,
        repoDocs: 200,
        cacheProbes: 300,
      };
}

function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}
const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
const normalise = (v: number[]) => {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return v.map((x) => x / n);
};
const percentile = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (v: number) => v.toFixed(v < 10 ? 2 : 1);

/**
 * Clustered synthetic chunks: `clusters` Gaussian clusters of 384-d unit
 * vectors, and 40-word texts drawn mostly from a per-cluster vocabulary of
 * 60 words (of 3,000), so that keyword queries match a cluster's chunks.
 */
function corpus(seed: number, clusters: number) {
  const r = rng(seed);
  const centers = Array.from({ length: clusters }, () => normalise(Array.from({ length: dims }, () => gauss(r))));
  const near = (c: number) => normalise(centers[c].map((x) => x + (spread * gauss(r)) / Math.sqrt(dims)));
  const vocab = Array.from({ length: 3000 }, (_, i) => `term${i.toString(36)}`);
  const words = (n: number, cluster: number) =>
    Array.from({ length: n }, () => vocab[(cluster * 60 + Math.floor(r() * 60) + (r() < 0.3 ? Math.floor(r() * 3000) : 0)) % 3000]).join(" ");
  const queries = (n: number) => Array.from({ length: n }, (_, i) => ({ v: near((i * 7) % clusters), q: words(3, (i * 7) % clusters) }));
  return { clusters, near, words, queries };
}
type Corpus = ReturnType<typeof corpus>;
type Query = ReturnType<Corpus["queries"]>[number];

/** An embedder that returns the current query's precomputed vector: model time stays out of search latency. */
function fixedEmbedder(current: () => number[]): Embedder {
  return {
    kind: "local",
    fingerprint: { name: "bench", sha256: "0".repeat(64), dimensions: dims },
    maxInputTokens: 512,
    countTokens: (text) => Math.ceil(text.length / 3),
    embed: async (texts) => texts.map(() => current()),
    check: async () => ({ ok: true }),
    close: async () => {},
  };
}

const filter = { project: "bench", includeGenerated: false, includeQuarantined: false };
const weights = { vector: 0.6, keyword: 0.4, version: 1, updated_at: "" };

/**
 * Search latency through the service's own search code, contenders
 * alternating query by query (warm-up first, not counted).
 */
async function searchLatency(db: Db, queries: Query[], warmup: number, contenders: Record<string, { mode: SearchMode; search: SearchRepository }>) {
  let current = queries[0];
  const documents = createDocumentRepository(db);
  const embedder = fixedEmbedder(() => current.v);
  const once = async (c: { mode: SearchMode; search: SearchRepository }) => {
    const t = performance.now();
    const hits = await searchChunks({ search: c.search, documents, embedder, scoring: config }, { q: current.q, mode: c.mode, limit: 10, filter, weights });
    if (hits.length === 0) throw new Error(`search (${c.mode}) found nothing`);
    return performance.now() - t;
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let i = 0; i < warmup; i++) {
    current = queries[i % queries.length];
    for (const c of Object.values(contenders)) await once(c);
  }
  for (const [i, q] of queries.entries()) {
    current = q;
    // The order turns each query, so neither side always runs on a warmer cache.
    const names = Object.keys(contenders);
    const order = i % 2 ? names.reverse() : names;
    for (const name of order) times[name].push(await once(contenders[name]));
  }
  return times;
}

/**
 * recall@10 against an exact scan (index scans off): of the plain index
 * query (ORDER BY distance LIMIT 10 with the service's ef_search) and of
 * the service's own vector candidates (their best 10).
 */
async function recallAt10(db: Db, queries: Query[]) {
  const knn = `SELECT c.id::text AS id FROM chunks c ORDER BY c.embedding <=> $1::real[]::vector LIMIT 10`;
  const search = createSearchRepository(db);
  let hits = 0;
  let serviceHits = 0;
  for (const q of queries) {
    const approx = new Set((await db.query<{ id: string }>(knn, [q.v])).rows.map((x) => x.id));
    const service = new Set((await search.vectorCandidates(q.v, null, filter, 50)).slice(0, 10).map((c) => c.chunk_id));
    const exact = await db.transaction(async (tx) => {
      await tx.query("SET LOCAL enable_indexscan = off");
      return tx.query<{ id: string }>(knn, [q.v]);
    });
    if (exact.rows.length !== 10) throw new Error(`exact scan gave ${exact.rows.length} rows`);
    hits += exact.rows.filter((x) => approx.has(x.id)).length;
    serviceHits += exact.rows.filter((x) => service.has(x.id)).length;
  }
  return { index: hits / (queries.length * 10), service: serviceHits / (queries.length * 10) };
}

/** Stores documents of `perDoc` chunks through the service's repository (one transaction per document, indexes maintained). */
async function storeThroughRepository(db: Db, c: Corpus, docs: number, project: string, offset = 0): Promise<number> {
  const repo = createDocumentRepository(db);
  const t = performance.now();
  for (let d = 0; d < docs; d++) {
    const cl = (offset + d) % c.clusters;
    await repo.insert({
      project,
      title: `doc ${offset + d}`,
      source: null,
      sourceTrust: "imported",
      contentHash: `h${offset + d}`,
      metadata: {},
      quarantine: false,
      injectionScore: 0,
      redactions: 0,
      chunks: Array.from({ length: perDoc }, () => ({ text: c.words(40, cl), embedding: c.near(cl) })),
      modelFingerprint: "bench",
    });
  }
  return (docs * perDoc) / ((performance.now() - t) / 1000);
}

/**
 * The bulk path: the chunk indexes are dropped (their definitions kept from
 * the migrated schema), documents and chunks go in as multi-row INSERTs with
 * vectors as `real[]` parameters on two connections at once, then the
 * indexes are built again from those same definitions and the tables
 * analysed.
 */
async function bulkLoad(db: Db, c: Corpus, chunks: number, log: (m: string) => void) {
  const defs = await db.query<{ indexname: string; indexdef: string }>(
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'chunks' AND indexname IN ('chunks_embedding_idx', 'chunks_tsv_idx') ORDER BY indexname",
  );
  if (defs.rows.length !== 2) throw new Error(`expected the two chunk indexes of the migrations, found ${defs.rows.map((d) => d.indexname).join(", ")}`);
  const reloptions = await db.query<{ relname: string; reloptions: string[] | null }>(
    "SELECT relname, reloptions FROM pg_class WHERE relname IN ('chunks_embedding_idx', 'chunks_tsv_idx') ORDER BY relname",
  );
  for (const d of defs.rows) await db.query(`DROP INDEX ${d.indexname}`);

  const docs = Math.ceil(chunks / perDoc);
  const t0 = performance.now();
  const docBatch = 1000;
  const ids: string[] = [];
  for (let start = 0; start < docs; start += docBatch) {
    const params: unknown[] = [];
    const values: string[] = [];
    for (let d = start; d < Math.min(docs, start + docBatch); d++) {
      const id = randomUUID();
      ids.push(id);
      const p = params.length;
      params.push(id, `doc ${d}`, `h${d}`, perDoc);
      values.push(`($${p + 1}::uuid, 'bench', $${p + 2}, $${p + 3}, $${p + 4})`);
    }
    await db.query(`INSERT INTO documents (id, project, title, content_hash, chunk_count) VALUES ${values.join(", ")}`, params);
  }
  const rowsPerInsert = 500;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const start = next;
      next += rowsPerInsert;
      if (start >= chunks) return;
      const params: unknown[] = [];
      const values: string[] = [];
      for (let i = start; i < Math.min(chunks, start + rowsPerInsert); i++) {
        const d = Math.floor(i / perDoc);
        const cl = d % c.clusters;
        const p = params.length;
        params.push(ids[d], i % perDoc, c.words(40, cl), c.near(cl));
        values.push(`($${p + 1}::uuid, $${p + 2}, $${p + 3}, $${p + 4}::real[]::vector, 'bench')`);
      }
      await db.query(`INSERT INTO chunks (document_id, position, text, embedding, model_fingerprint) VALUES ${values.join(", ")}`, params);
      if ((start / rowsPerInsert) % 40 === 0) log(`postgres: ${start} of ${chunks} chunks inserted`);
    }
  };
  await Promise.all([worker(), worker()]);
  const insertS = (performance.now() - t0) / 1000;

  // The index builds get room to work in: the migration runs at the server's
  // maintenance_work_mem, which an HNSW build of this size would overflow.
  const build = async (name: string) => {
    const def = defs.rows.find((d) => d.indexname === name)!.indexdef;
    const t = performance.now();
    await db.transaction(async (tx) => {
      await tx.query("SET LOCAL maintenance_work_mem = '1GB'");
      await tx.query(def);
    });
    return (performance.now() - t) / 1000;
  };
  log("postgres: building the HNSW index");
  const hnswS = await build("chunks_embedding_idx");
  log("postgres: building the GIN index");
  const ginS = await build("chunks_tsv_idx");
  const after = await db.query<{ relname: string; reloptions: string[] | null }>(
    "SELECT relname, reloptions FROM pg_class WHERE relname IN ('chunks_embedding_idx', 'chunks_tsv_idx') ORDER BY relname",
  );
  const opts = (rows: typeof after.rows) => JSON.stringify(Object.fromEntries(rows.map((r) => [r.relname, r.reloptions])));
  if (opts(after.rows) !== opts(reloptions.rows)) throw new Error(`index options differ after the rebuild: ${opts(after.rows)} vs ${opts(reloptions.rows)}`);
  const t1 = performance.now();
  await db.query("VACUUM ANALYZE documents");
  await db.query("VACUUM ANALYZE chunks");
  const analyseS = (performance.now() - t1) / 1000;
  return { insertS, hnswS, ginS, analyseS, totalS: insertS + hnswS + ginS + analyseS };
}

/** Whole-pipeline ingestion (sanitise, redact, score, chunk, embed in-process, store) into a new store. */
async function ingestPipeline(db: Db, embedder: Embedder, c: Corpus, docCount: number) {
  await migrate(db, { dimensions: embedder.fingerprint.dimensions });
  const docs = Array.from({ length: docCount }, (_, i) => ({
    project: "ingest",
    text: Array.from({ length: 6 }, (_, p) => `Paragraph ${p} of note ${i}: ${c.words(60, i % c.clusters)}.`).join("\n\n"),
    source_trust: "imported" as const,
    metadata: {},
  }));
  const t0 = performance.now();
  const ingested = await ingestDocuments(
    {
      repo: createDocumentRepository(db),
      embedder,
      logger: pino({ level: "silent" }),
      metrics: createAidbMetrics(new Registry()),
      chunkTokens: 256,
      chunkOverlapTokens: 32,
      injectionThreshold: 0.5,
    },
    docs,
  );
  const secs = (performance.now() - t0) / 1000;
  const chunks = ingested.reduce((n, x) => n + x.chunks, 0);
  return { rate: chunks / secs, chunks, docs: docCount };
}

export async function runAidbBench(root: string, opts: SuiteOptions): Promise<SuiteRun> {
  const { log, smoke } = opts;
  const size = sizes(smoke);
  const results: BenchResult[] = [];
  const notes: string[] = [];
  const clustersFor = (chunks: number) => Math.max(5, Math.round(chunks / chunksPerCluster));

  const tiny = (await synthModel({ out: join(opts.artifactsDir, "embed-tiny.gguf"), preset: "tiny", seed: 3 })).path;
  const local = await createLocalEmbedder({ modelPath: tiny, contextSize: 512 });
  let pgVersion = "";
  try {
    // ---------------------------------------------------------------- PGlite
    const lite = corpus(42, clustersFor(size.pglite));
    log(`PGlite: storing ${size.pglite} chunks through the repository`);
    const db: Db = await openPglite();
    let liteSearch: Record<string, number[]>;
    let liteRecall: { index: number; service: number };
    let liteStore: number;
    const liteLoad: number[] = [];
    try {
      await migrate(db, { dimensions: dims });
      for (const s of sessionStatements(efSearch)) await db.query(s);
      liteStore = await storeThroughRepository(db, lite, size.pglite / perDoc, "bench");
      log("PGlite: search latency, hybrid and vector-only alternating");
      liteLoad.push(loadavg()[0]);
      const search = createSearchRepository(db);
      // A third contender issues the two candidate queries at once, as on a
      // pool: PGlite runs them one after the other anyway.
      const concurrent: SearchRepository = { ...search, concurrentCandidates: true };
      liteSearch = await searchLatency(db, lite.queries(size.queries), size.warmup, {
        hybrid: { mode: "hybrid", search },
        semantic: { mode: "semantic", search },
        hybridConcurrent: { mode: "hybrid", search: concurrent },
      });
      liteLoad.push(loadavg()[0]);
      log("PGlite: recall@10");
      liteRecall = await recallAt10(db, lite.queries(size.recall));
    } finally {
      await db.close();
    }
    log("PGlite: whole-pipeline ingestion");
    const liteIngestDb = await openPglite();
    const liteIngest = await ingestPipeline(liteIngestDb, local, lite, size.ingestDocs).finally(() => liteIngestDb.close());

    // ------------------------------------------------------------ PostgreSQL
    let pgFigures:
      | {
          search: Record<string, number[]>;
          recall: { index: number; service: number };
          load: Awaited<ReturnType<typeof bulkLoad>>;
          repoRate: number;
          ingest: Awaited<ReturnType<typeof ingestPipeline>>;
          clusters: number;
          /** The machine's 1-minute load average before and after the search runs. */
          loadavg: number[];
        }
      | undefined;
    if (postgresMissing) {
      notes.push(`The PostgreSQL part was skipped in this run: ${postgresMissing}.`);
      log(`PostgreSQL skipped: ${postgresMissing}`);
    } else {
      const pgc = corpus(43, clustersFor(size.pg));
      log("PostgreSQL: starting a throwaway cluster");
      const cluster = await startPostgres();
      try {
        const pdb = await openDb({ databaseUrl: await cluster.createDatabase("bench"), poolSize: config.databasePoolSize, efSearch });
        try {
          pgVersion = (await pdb.query<{ v: string }>("SELECT current_setting('server_version') || ', pgvector ' || extversion AS v FROM pg_extension WHERE extname = 'vector'")).rows[0]?.v ?? "";
          await migrate(pdb, { dimensions: dims });
          log(`PostgreSQL: bulk-loading ${size.pg} chunks`);
          const load = await bulkLoad(pdb, pgc, size.pg, log);
          log("PostgreSQL: search latency, hybrid (parallel and sequential candidates) and vector-only alternating");
          const search = createSearchRepository(pdb);
          const sequential: SearchRepository = { ...search, concurrentCandidates: false };
          const loadBefore = loadavg()[0];
          const times = await searchLatency(pdb, pgc.queries(size.queries), size.warmup, {
            hybrid: { mode: "hybrid", search },
            semantic: { mode: "semantic", search },
            hybridSequential: { mode: "hybrid", search: sequential },
          });
          const loadAfter = loadavg()[0];
          log("PostgreSQL: recall@10");
          const recall = await recallAt10(pdb, pgc.queries(size.recall));
          log("PostgreSQL: storing through the repository into the loaded store");
          const repoRate = await storeThroughRepository(pdb, pgc, size.repoDocs, "bench-more", size.pg / perDoc);
          log("PostgreSQL: whole-pipeline ingestion");
          const ingestDb = await openDb({ databaseUrl: await cluster.createDatabase("ingest"), poolSize: config.databasePoolSize, efSearch });
          const ingest = await ingestPipeline(ingestDb, local, pgc, size.ingestDocs).finally(() => ingestDb.close());
          pgFigures = { search: times, recall, load, repoRate, ingest, clusters: pgc.clusters, loadavg: [loadBefore, loadAfter] };
        } finally {
          await pdb.close();
        }
      } finally {
        await cluster.stop();
      }
    }

    // --------------------------------------------------------------- results
    const p = (v: number[], q: number) => percentile(v, q);
    const pgName = `PostgreSQL ${pgVersion.split(" ")[0] || ""}`.trim();
    if (pgFigures) {
      const f = pgFigures;
      const [h95, s95, q95] = [p(f.search.hybrid, 95), p(f.search.semantic, 95), p(f.search.hybridSequential, 95)];
      results.push({
        name: `${pgName}, ${size.pg} chunks: hybrid search p95`,
        value: h95,
        unit: "ms",
        target: "≤ 10",
        pass: h95 <= 10,
        detail: `p50 ${ms(p(f.search.hybrid, 50))} ms; candidate queries in parallel on two pooled connections; ${size.queries} queries, limit 10; 1-minute load average ${f.loadavg.map((x) => x.toFixed(1)).join(" before, ")} after (2 cores)`,
      });
      results.push({
        name: `${pgName}, ${size.pg} chunks: vector-only search p95`,
        value: s95,
        unit: "ms",
        detail: `p50 ${ms(p(f.search.semantic, 50))} ms`,
      });
      results.push({
        name: `${pgName}, ${size.pg} chunks: hybrid p95 / vector-only p95`,
        value: h95 / s95,
        unit: "ratio",
        target: "≤ 1.3",
        pass: h95 / s95 <= 1.3,
        detail: `same run, alternating query by query; p50 ratio ${(p(f.search.hybrid, 50) / p(f.search.semantic, 50)).toFixed(2)}`,
      });
      results.push({
        name: `${pgName}, ${size.pg} chunks: hybrid with sequential candidate queries, p95`,
        value: q95,
        unit: "ms",
        detail: `p50 ${ms(p(f.search.hybridSequential, 50))} ms; the same search with the two candidate queries one after the other (as before this change), in the same alternation; ratio to vector-only ${(q95 / s95).toFixed(2)}`,
      });
      results.push({
        name: `${pgName}, ${size.pg} chunks: recall@10, HNSW vs exact (ef_search ${efSearch})`,
        value: f.recall.index,
        unit: "",
        target: "≥ 0.97",
        pass: f.recall.index >= 0.97,
        detail: `${size.recall} queries, ${f.clusters} clusters; the service's vector candidates (best 10 of 50) reach ${f.recall.service.toFixed(3)}`,
      });
      results.push({
        name: `${pgName}: bulk load, ${size.pg} chunks`,
        value: size.pg / f.load.totalS,
        unit: "chunks/s",
        detail: `${f.load.totalS.toFixed(0)} s in all: multi-row INSERTs with \`real[]\` vectors ${f.load.insertS.toFixed(1)} s (${(size.pg / f.load.insertS).toFixed(0)} chunks/s), HNSW build ${f.load.hnswS.toFixed(1)} s, GIN build ${f.load.ginS.toFixed(1)} s, VACUUM ANALYZE ${f.load.analyseS.toFixed(1)} s`,
      });
      results.push({
        name: `${pgName}: storing chunks through the repository, into ${size.pg}`,
        value: f.repoRate,
        unit: "chunks/s",
        detail: `${size.repoDocs * perDoc} chunks in documents of ${perDoc}, one transaction per document, HNSW + GIN maintained (the service's path)`,
      });
      results.push({
        name: `${pgName}: ingestion, whole pipeline`,
        value: f.ingest.rate,
        unit: "chunks/s",
        detail: `${f.ingest.docs} documents, ${f.ingest.chunks} chunks; as the PGlite row`,
      });
    }
    const [lh95, ls95] = [p(liteSearch.hybrid, 95), p(liteSearch.semantic, 95)];
    results.push({
      name: `PGlite, ${size.pglite} chunks: hybrid search p95`,
      value: lh95,
      unit: "ms",
      detail: `p50 ${ms(p(liteSearch.hybrid, 50))} ms; candidate queries one after the other (one connection); ${size.queries} queries, limit 10; 1-minute load average ${liteLoad.map((x) => x.toFixed(1)).join(" before, ")} after`,
    });
    results.push({ name: `PGlite, ${size.pglite} chunks: vector-only search p95`, value: ls95, unit: "ms", detail: `p50 ${ms(p(liteSearch.semantic, 50))} ms` });
    results.push({
      name: `PGlite, ${size.pglite} chunks: hybrid p95 / vector-only p95`,
      value: lh95 / ls95,
      unit: "ratio",
      target: "≤ 1.5",
      pass: lh95 / ls95 <= 1.5,
      detail: `same run, alternating query by query; p50 ratio ${(p(liteSearch.hybrid, 50) / p(liteSearch.semantic, 50)).toFixed(2)}`,
    });
    results.push({
      name: `PGlite, ${size.pglite} chunks: hybrid with both candidate queries issued at once, p95`,
      value: p(liteSearch.hybridConcurrent, 95),
      unit: "ms",
      detail: `p50 ${ms(p(liteSearch.hybridConcurrent, 50))} ms; PGlite runs them one after the other anyway, so the service keeps them sequential there`,
    });
    results.push({
      name: `PGlite, ${size.pglite} chunks: recall@10, HNSW vs exact (ef_search ${efSearch})`,
      value: liteRecall.index,
      unit: "",
      target: "≥ 0.95",
      pass: liteRecall.index >= 0.95,
      detail: `${size.recall} queries, ${lite.clusters} clusters; the service's vector candidates reach ${liteRecall.service.toFixed(3)}`,
    });
    results.push({
      name: `PGlite: storing chunks through the repository, ${size.pglite}`,
      value: liteStore,
      unit: "chunks/s",
      detail: `documents of ${perDoc}, one transaction per document, HNSW + GIN maintained`,
    });
    results.push({
      name: "PGlite: ingestion, whole pipeline",
      value: liteIngest.rate,
      unit: "chunks/s",
      detail: `${liteIngest.docs} documents, ${liteIngest.chunks} chunks; sanitise, redact, score, chunk, embed in-process (tiny synthetic model), store`,
    });

    // ------------------------------------------------------- embedding cache
    log("embedding cache hit vs miss");
    const cache = await createEmbeddingCache({ redisUrl: process.env.BENCH_REDIS_URL, fingerprint: local.fingerprint, epoch: 0, logger: pino({ level: "silent" }), registry: new Registry() });
    const miss: number[] = [];
    const hit: number[] = [];
    try {
      for (let i = 0; i < size.cacheProbes; i++) {
        const text = `cache probe ${i} ${lite.words(20, i % lite.clusters)}`;
        let t = performance.now();
        const got = await cache.getMany([text]);
        if (got[0] === undefined) await cache.setMany([[text, (await local.embed([text]))[0]]]);
        miss.push(performance.now() - t);
        t = performance.now();
        await cache.getMany([text]);
        hit.push(performance.now() - t);
      }
      const backend = cache.status().backend;
      results.push({ name: `Embedding cache hit p95 (${backend})`, value: p(hit, 95), unit: "ms", target: "≤ 1", pass: p(hit, 95) <= 1, detail: `p50 ${p(hit, 50).toFixed(3)} ms; ${size.cacheProbes} single-text lookups` });
      results.push({ name: "Embedding cache miss p95 (embed + store)", value: p(miss, 95), unit: "ms", detail: `p50 ${median(miss).toFixed(2)} ms, tiny synthetic model` });
    } finally {
      await cache.close();
    }
  } finally {
    await local.close();
  }

  const machine =
    `${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, PGlite (in-process)` +
    (pgVersion ? `, PostgreSQL ${pgVersion} (a throwaway local cluster, fsync off)` : "");
  return { results, machine, notes: notes.join("\n\n") || undefined };
}

export const aidbSuite: Suite = {
  title: "Knowledge store (aidb)",
  method: [
    `Clustered synthetic data: 384-dimensional unit vectors in Gaussian clusters (one cluster per ${chunksPerCluster} chunks: 50 at 10,000 chunks, 500 at 100,000, so that a topic holds as many chunks at either size), ${perDoc} chunks per document, each chunk 40 words mostly from its cluster's 60-word vocabulary; queries are drawn like chunks, with 3 words.`,
    "PostgreSQL: Debian's PostgreSQL 15 with pgvector, a throwaway cluster on loopback started like the tests' (`tests/helpers/startPostgres.ts`: fsync, synchronous_commit and full_page_writes off, shared_buffers 128 MB); aidb's pool (`openDb`, 4 connections, the service's session settings on each). The chunks are bulk-loaded: the schema is migrated, the two chunk indexes dropped, documents and chunks inserted as multi-row INSERTs with vectors as `real[]` parameters on two connections, then the indexes built again from the migrated definitions (checked: same options) with maintenance_work_mem 1 GB for the build, then VACUUM ANALYZE.",
    "The service's own storing path (the repository's insert, one transaction per document, indexes maintained) is timed separately, into the loaded store; so is the whole ingestion pipeline (sanitise, redact, score, chunk, embed in-process with the tiny synthetic model, store) into a new database of each kind.",
    "Search latency runs the service's own search code (candidates, fusion, decay and bonus, access update) with the query vector precomputed; the contenders alternate query by query, the order turning each query. The embedding of the query is the same cost in every mode and is left out. On PostgreSQL a third contender runs hybrid with the two candidate queries one after the other, as before they ran in parallel.",
    "recall@10 compares the HNSW index (ORDER BY distance LIMIT 10 at the service's `efSearch`) with an exact scan (index scans disabled) for the same queries.",
    "PGlite: in-process, chunks stored through the repository; a third contender issues hybrid's two candidate queries at once, as the service does on a pool.",
    "The 1-minute load average before and after the search runs is in the table: other work shares these 2 cores, and the ratios, measured side by side, are what to compare across runs.",
    "Embedding cache: one text per call; a miss is lookup + embedding + store, a hit is the lookup. In-process LRU unless BENCH_REDIS_URL names a Redis.",
  ].join("\n- "),
  notes: [
    "What the figures mean, and where targets are missed:",
    "",
    "- *Hybrid against vector-only on PostgreSQL.* Hybrid runs its two candidate queries at once on two pooled connections, so its critical path is the slower of the two, then the details of up to twice as many candidates (the union of both sets, up to 100 rows against 50) and the access update. That only overlaps when each backend finds a free core: on 2 cores shared with Node and, during these runs, with other work (the load average in the table), the second query often waits, which is why the parallel and the sequential contender (the code before this change) are close at p50 and apart mostly at p95. Side-by-side probes at 100k on this machine (2026-12-06, 300 queries each, load average about 4) gave p95 ratios from 1.27 to 1.40. Two ways to shorten hybrid were considered and not taken: one round trip for both queries (they would run one after the other inside the server), and fetching details with the candidates (that saves the same round trip in both modes, which raises the ratio).",
    "- *How much the machine's other work moves these figures.* Runs at 100k on 2026-12-06, after the documents fix below, by the 1-minute load average during the search runs: about 4, hybrid p95 8.1 ms against vector-only 5.3 ms (ratio 1.51, 300 queries); about 12, 22.9 against 17.9 ms (1.28, 1,000 queries); 11–15, inside a full `npm run bench`, 29.0 against 26.2 ms (1.11). Before that fix, at about 7: 15.8 against 9.6 ms (1.64). So the 10 ms target was met only in the least loaded run, and the ratio target only in the most loaded ones: hybrid's extra work is a roughly fixed 1–2 ms at p50, which weighs less the longer every query waits for a core. Neither target is met reliably on these shared 2-core machines; the table above is whichever run was last.",
    "- *What made PostgreSQL fast at 100k.* The vector candidate query and the details query joined their candidates to `documents` with a hash join over the whole table (10,000 documents here): in EXPLAIN ANALYZE that took 3 of the vector query's 5 ms and 2.7 of the details query's 3 ms. They now look each document up by primary key (a LATERAL subquery with OFFSET 0, which the planner cannot flatten). In a side-by-side probe at 100k that took vector-only p50 from 4.6–4.9 ms to 3.0–3.2 ms and hybrid p50 from 4.6–5.6 ms to 3.9–4.2 ms; PGlite runs the same SQL. Storing the embeddings inline (`SET STORAGE PLAIN`; at 384 dimensions a chunk row passes the TOAST threshold and the vector goes out of line) made no measurable difference in another probe.",
    "- *Recall depends on how dense the clusters are.* Met here with one cluster per 200 chunks. A probe with the same 100,000 chunks in 50 clusters of 2,000 (within a cluster the points are then close to isotropic noise, the hard case FACTS describes for uniform vectors) gave recall@10 of 0.764, 0.925 and 0.970 at ef_search 40, 100 and 200 (100 queries, 2026-12-06): on data like that the 0.97 target needs `efSearch` 200, at some cost in latency.",
    "- *Ingestion on PostgreSQL.* The bulk path is how this suite reaches 100k chunks in about a minute (50–80 s with both index builds in runs so far). The service's own path (one transaction per document, HNSW and GIN maintained per row) is the rate a user sees when storing, and the whole pipeline is bound by the in-process embedding, which shares the same 2 cores with PostgreSQL.",
    "- *PGlite (≤ 1.5 missed).* One connection and one WASM thread: the candidate queries run one after the other whatever the caller does (the third PGlite row issues them at once; its p95 differs from the sequential one by noise, the p50s agree), so hybrid pays for both in full. Earlier fixes got this ratio from 4.1 to about 1.6: candidates read from each index alone and filtered afterwards, and the GIN fast-update queue off.",
  ].join("\n"),
  run: runAidbBench,
};
