// aidb benchmarks (issue 3): hybrid against vector-only search latency at
// 10k chunks, HNSW recall@10 against exact search on clustered data,
// ingestion throughput, and embedding-cache hit against miss latency.
import { availableParallelism, cpus, totalmem } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { createAidbMetrics } from "../services/aidb/createAidbMetrics.js";
import type { Db } from "../services/aidb/db/Db.js";
import { migrate } from "../services/aidb/db/migrate.js";
import { sessionStatements } from "../services/aidb/db/openDb.js";
import { openPglite } from "../services/aidb/db/openPglite.js";
import { createLocalEmbedder } from "../services/aidb/embedder/createLocalEmbedder.js";
import type { Embedder } from "../services/aidb/embedder/Embedder.js";
import { createEmbeddingCache } from "../services/aidb/embeddingCache/createEmbeddingCache.js";
import { ingestDocuments } from "../services/aidb/ingest/ingestDocuments.js";
import { createDocumentRepository } from "../services/aidb/repo/createDocumentRepository.js";
import { createSearchRepository } from "../services/aidb/repo/createSearchRepository.js";
import { searchChunks, type SearchMode } from "../services/aidb/search/searchChunks.js";
import { aidbConfigSchema } from "../services/aidb/aidbConfigSchema.js";
import { synthModel } from "../services/models/synthModel.js";
import type { BenchResult } from "./inferenceBench.js";

const dims = 384;
const chunkCount = Number(process.env.BENCH_AIDB_CHUNKS ?? 10_000);
const clusters = 50;
const efSearch = aidbConfigSchema.parse({ embedModel: "x" }).efSearch;

function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}
const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
const normalise = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const percentile = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

export async function runAidbBench(root: string): Promise<{ results: BenchResult[]; machine: string }> {
  const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
  const results: BenchResult[] = [];
  const r = rng(42);
  const centers = Array.from({ length: clusters }, () => normalise(Array.from({ length: dims }, () => gauss(r))));
  const near = (c: number, spread: number) => normalise(centers[c].map((x) => x + (spread * gauss(r)) / Math.sqrt(dims)));
  const vocab = Array.from({ length: 3000 }, (_, i) => `term${i.toString(36)}`);
  const words = (n: number, cluster: number) =>
    Array.from({ length: n }, () => vocab[(cluster * 60 + Math.floor(r() * 60) + (r() < 0.3 ? Math.floor(r() * 3000) : 0)) % 3000]).join(" ");

  log("opening PGlite and loading clustered chunks");
  const db: Db = await openPglite();
  await migrate(db, { dimensions: dims });
  for (const s of sessionStatements(efSearch)) await db.query(s);
  const repo = createDocumentRepository(db);
  const perDoc = 10;
  const loadStart = performance.now();
  for (let d = 0; d < chunkCount / perDoc; d++) {
    const c = d % clusters;
    await repo.insert({
      project: "bench",
      title: `doc ${d}`,
      source: null,
      sourceTrust: "imported",
      contentHash: `h${d}`,
      metadata: {},
      quarantine: false,
      injectionScore: 0,
      redactions: 0,
      chunks: Array.from({ length: perDoc }, () => ({ text: words(40, c), embedding: near(c, 1.2) })),
      modelFingerprint: "bench",
    });
  }
  const storeRate = chunkCount / ((performance.now() - loadStart) / 1000);
  results.push({ name: "Storing chunks (384-d, HNSW + GIN maintained)", value: storeRate, unit: "chunks/s", detail: `${chunkCount} chunks in documents of ${perDoc}, one transaction per document` });

  // 1. Hybrid against vector-only through the same search code; the query
  // vector is precomputed so model time does not blur the comparison.
  log("search latency: hybrid vs semantic");
  const queries = Array.from({ length: 300 }, (_, i) => ({ v: near(i % clusters, 1.2), q: words(3, i % clusters) }));
  let current = queries[0];
  const fixedEmbedder = { embed: async () => [current.v] } as unknown as Embedder;
  const config = aidbConfigSchema.parse({ embedModel: "x" });
  const deps = { search: createSearchRepository(db), documents: repo, embedder: fixedEmbedder, scoring: config };
  const weights = { vector: 0.6, keyword: 0.4, version: 1, updated_at: "" };
  const timeSearch = async (mode: SearchMode) => {
    const t = performance.now();
    await searchChunks(deps, { q: current.q, mode, limit: 10, filter: { project: "bench", includeGenerated: false, includeQuarantined: false }, weights });
    return performance.now() - t;
  };
  for (let i = 0; i < 20; i++) {
    current = queries[i];
    await timeSearch("hybrid");
    await timeSearch("semantic");
  }
  const hybrid: number[] = [];
  const semantic: number[] = [];
  for (const q of queries) {
    current = q;
    hybrid.push(await timeSearch("hybrid"));
    semantic.push(await timeSearch("semantic"));
  }
  const [h50, h95, s50, s95] = [percentile(hybrid, 50), percentile(hybrid, 95), percentile(semantic, 50), percentile(semantic, 95)];
  results.push({ name: `Hybrid search p50 / p95, ${chunkCount} chunks`, value: h95, unit: "ms (p95)", detail: `p50 ${h50.toFixed(1)} ms, p95 ${h95.toFixed(1)} ms; ${queries.length} queries, limit 10` });
  results.push({ name: `Vector-only search p50 / p95, ${chunkCount} chunks`, value: s95, unit: "ms (p95)", detail: `p50 ${s50.toFixed(1)} ms, p95 ${s95.toFixed(1)} ms` });
  results.push({ name: "Hybrid p95 / vector-only p95", value: h95 / s95, unit: "ratio", target: "≤ 1.5", pass: h95 / s95 <= 1.5, detail: "same run, alternating query by query" });

  // 2. recall@10 of HNSW against an exact scan.
  log("recall@10");
  const knn = `SELECT c.id FROM chunks c ORDER BY c.embedding <=> $1::real[]::vector LIMIT 10`;
  let hits = 0;
  const recallQueries = queries.slice(0, 200);
  for (const q of recallQueries) {
    const approx = new Set((await db.query<{ id: string }>(knn, [q.v])).rows.map((x) => String(x.id)));
    const exact = await db.transaction(async (tx) => {
      await tx.query("SET LOCAL enable_indexscan = off");
      return tx.query<{ id: string }>(knn, [q.v]);
    });
    hits += exact.rows.filter((x) => approx.has(String(x.id))).length;
  }
  const recall = hits / (recallQueries.length * 10);
  results.push({ name: `recall@10, HNSW vs exact (ef_search ${efSearch})`, value: recall, unit: "", target: "≥ 0.95", pass: recall >= 0.95, detail: `${recallQueries.length} queries, ${clusters} clusters` });

  // 3. Ingestion through the whole pipeline with a real (synthetic) model.
  log("ingestion throughput");
  const tiny = (await synthModel({ out: join(root, ".bench-artifacts", "embed-tiny.gguf"), preset: "tiny", seed: 3 })).path;
  const local = await createLocalEmbedder({ modelPath: tiny, contextSize: 512 });
  const db2 = await openPglite();
  await migrate(db2, { dimensions: local.fingerprint.dimensions });
  const registry = new Registry();
  const logger = pino({ level: "silent" });
  const docs = Array.from({ length: 200 }, (_, i) => ({
    project: "ingest",
    text: Array.from({ length: 6 }, (_, p) => `Paragraph ${p} of note ${i}: ${words(60, i % clusters)}.`).join("\n\n"),
    source_trust: "imported" as const,
    metadata: {},
  }));
  const t0 = performance.now();
  const ingested = await ingestDocuments(
    { repo: createDocumentRepository(db2), embedder: local, logger, metrics: createAidbMetrics(registry), chunkTokens: 256, chunkOverlapTokens: 32, injectionThreshold: 0.5 },
    docs,
  );
  const secs = (performance.now() - t0) / 1000;
  const chunks = ingested.reduce((n, x) => n + x.chunks, 0);
  results.push({ name: "Ingestion, whole pipeline", value: chunks / secs, unit: "chunks/s", detail: `${docs.length} documents, ${chunks} chunks; sanitise, redact, score, chunk, embed in-process (tiny synthetic model), store` });

  // 4. Embedding cache: a hit against a miss (embed + store) for one text.
  log("embedding cache hit vs miss");
  const cache = await createEmbeddingCache({ redisUrl: process.env.BENCH_REDIS_URL, fingerprint: local.fingerprint, epoch: 0, logger, registry: new Registry() });
  const miss: number[] = [];
  const hit: number[] = [];
  for (let i = 0; i < 300; i++) {
    const text = `cache probe ${i} ${words(20, i % clusters)}`;
    let t = performance.now();
    const got = await cache.getMany([text]);
    if (got[0] === undefined) await cache.setMany([[text, (await local.embed([text]))[0]]]);
    miss.push(performance.now() - t);
    t = performance.now();
    await cache.getMany([text]);
    hit.push(performance.now() - t);
  }
  const backend = cache.status().backend;
  results.push({ name: `Embedding cache hit p95 (${backend})`, value: percentile(hit, 95), unit: "ms", target: "≤ 1", pass: percentile(hit, 95) <= 1, detail: `p50 ${percentile(hit, 50).toFixed(3)} ms; 300 single-text lookups` });
  results.push({ name: "Embedding cache miss p95 (embed + store)", value: percentile(miss, 95), unit: "ms", detail: `p50 ${percentile(miss, 50).toFixed(2)} ms, tiny synthetic model` });
  await cache.close();
  await local.close();
  await db2.close();
  await db.close();

  const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, PGlite (in-process)`;
  return { results, machine };
}
