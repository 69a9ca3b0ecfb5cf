// Coordinator benchmarks (issue: RAG coordinator). The whole stack runs as
// child processes (launchStack), a real redis-server on a free loopback port
// backs the semantic cache, and the load comes from bench/loadgen.mjs in a
// process of its own.
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import { availableParallelism, cpus, totalmem } from "node:os";
import { join } from "node:path";
import { synthModel } from "../services/models/synthModel.js";
import { launchStack, type RunningStack } from "../services/stack/launchStack.js";
// The same throwaway redis-server and free-port helpers the tests use (no test framework in them).
import { freePort, startRedis } from "../tests/helpers/startRedis.js";
import type { SuiteOptions, SuiteRun } from "./benchSuites.js";
import { median, postJson, rssBytes, startService, type ServiceProcess } from "./benchUtils.js";
import type { BenchResult } from "./inferenceBench.js";

let log: (m: string) => void = (m) => process.stderr.write(`bench: ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The overhead and cache-hit load: concurrent keep-alive connections. */
const CLIENTS = 32;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Front door: a few clients, a fixed answer length. */
const FRONT_CLIENTS = 4;
const FRONT_REQUESTS = 12;
const FRONT_MAX_TOKENS = 64;

/** Full sizes, or smoke sizes: every step once, in a few seconds, figures meaningless. */
function sizes(smoke: boolean) {
  const ms = (full: number) => (smoke ? Math.min(full, 300) : full);
  return {
    rounds: smoke ? 1 : ROUNDS,
    frontRequests: smoke ? 2 : FRONT_REQUESTS,
    frontMaxTokens: smoke ? 8 : FRONT_MAX_TOKENS,
    documents: smoke ? 5 : 40,
    idleReads: smoke ? 1 : 3,
    ms,
  };
}

// ---------------------------------------------------------------- processes

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once("exit", () => r()));

/** The redis-server version, for the machine line; the suite needs it on PATH. */
function redisServerVersion(): string {
  const version = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (version.status !== 0) throw new Error("the coordinator suite needs redis-server on PATH (the semantic cache)");
  return version.stdout.match(/v=(\S+)/)?.[1] ?? "?";
}

/** A second coordinator (`aq serve coordinator`) in front of another inference service. */
async function startCoordinator(aqBin: string, dir: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const out = createWriteStream(join(dir, "coordinator.log"));
  const child = spawn(process.execPath, [aqBin, "serve", "coordinator", "--host", "127.0.0.1", "--port", String(port), "--state-dir", join(dir, "state"), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true", ...strictSimilarity, ...extraEnv },
  });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  child.once("exit", () => out.end());
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited(child);
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`coordinator exited with ${child.exitCode}; see ${join(dir, "coordinator.log")}`);
    const r = await fetch(`${url}/ready`).catch(() => undefined);
    await r?.body?.cancel();
    if (r?.ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error("coordinator not ready within 120 s");
    }
    await sleep(100);
  }
  return { url, child, stop };
}

// ---------------------------------------------------------------- load

interface Summary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

interface LoadResult {
  connections: number;
  requests: number;
  ok: number;
  errors: number;
  first_error?: string;
  statuses: Record<string, number>;
  elapsed_s: number;
  rps: number;
  latency_ms: Summary;
  overhead_ms: Summary & { values: number[] };
  hit_overhead_ms: Summary;
  timings_mean_ms: Record<string, number>;
  cache_hits: number;
  completion_tokens: number;
  tokens_per_s: number;
}

interface LoadOptions {
  url: string;
  body: unknown;
  connections: number;
  durationMs?: number;
  requests?: number;
  warmupMs?: number;
  nonce?: string;
  words?: string[];
}

/** Runs bench/loadgen.mjs in a child process and returns its JSON report. */
function load(root: string, o: LoadOptions): Promise<LoadResult> {
  const args = { ...o, body: JSON.stringify(o.body) };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(root, "bench", "loadgen.mjs"), JSON.stringify(args)], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`loadgen failed: ${err.message}\n${stderr}`));
      const r = JSON.parse(stdout) as LoadResult;
      if (r.errors) return reject(new Error(`loadgen: ${r.errors} of ${r.requests} requests failed (${JSON.stringify(r.statuses)}); first: ${r.first_error}`));
      resolve(r);
    });
  });
}

// ---------------------------------------------------------------- metrics

/** Cumulative bucket counts of coordinator_overhead_seconds{endpoint}. */
async function overheadBuckets(url: string, endpoint: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets = new Map<number, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("coordinator_overhead_seconds_bucket{") || !line.includes(`endpoint="${endpoint}"`)) continue;
    const le = line.match(/le="([^"]+)"/)?.[1];
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (le) buckets.set(le === "+Inf" ? Infinity : Number(le), value);
  }
  return buckets;
}

/** Prometheus' histogram_quantile over the difference of two scrapes (linear within a bucket). */
function histogramQuantile(q: number, before: Map<number, number>, after: Map<number, number>): { seconds: number; count: number } {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts.at(-1) ?? 0;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i] >= rank) {
      if (bounds[i] === Infinity) return { seconds: bounds[i - 1] ?? NaN, count: total };
      const lower = i === 0 ? 0 : bounds[i - 1];
      const below = i === 0 ? 0 : counts[i - 1];
      const inBucket = counts[i] - below;
      return { seconds: lower + (bounds[i] - lower) * (inBucket ? (rank - below) / inBucket : 1), count: total };
    }
  }
  return { seconds: NaN, count: total };
}

// ---------------------------------------------------------------- the suite

/**
 * Only an identical vector counts as similar. Random-weight embedding models
 * find most short questions "similar" (cosine > 0.95) to one of the 200 newest,
 * so distinct questions would be answered from the cache; the lookup does the
 * same work (embedding, the scope's vectors, cosine against each) either way.
 */
const strictSimilarity = { AI_COORDINATOR_SEMANTIC_CACHE_SIMILARITY: "1" };

const vocabulary = (
  "flake module derivation overlay systemd garbage home manager binary cache store channel kernel boot loader firewall network user group " +
  "secret package option service timer mount disk nvidia wayland audio printer ssh container python rust node zfs btrfs backup tailscale"
).split(" ");

const topics = ["flakes", "modules", "derivations", "overlays", "systemd units", "garbage collection", "home-manager", "binary caches", "the nix store", "channels"];

function documents(n: number) {
  return Array.from({ length: n }, (_, i) => {
    const t = topics[i % topics.length];
    const text = Array.from(
      { length: 12 },
      (_, j) =>
        `Section ${j} of note ${i} explains ${t}: how ${t} relate to ${topics[(i + j) % topics.length]}, which options matter, and what to check when a rebuild of ${t} fails.`,
    ).join(" ");
    return { project: "bench", title: `Notes on ${t} #${i}`, text };
  });
}

export async function runCoordinatorBench(root: string, opts: SuiteOptions): Promise<SuiteRun> {
  log = opts.log;
  const { rounds: ROUNDS, frontRequests: FRONT_REQUESTS, frontMaxTokens: FRONT_MAX_TOKENS, idleReads, ms } = sizes(opts.smoke);
  const dir = opts.artifactsDir;
  const aqBin = join(root, "dist", "aq.js");
  const stackDir = join(dir, "coordinator-stack");
  rmSync(stackDir, { recursive: true, force: true });
  mkdirSync(stackDir, { recursive: true });
  const results: BenchResult[] = [];

  log("coordinator: synthetic models");
  const chatTiny = (await synthModel({ out: join(dir, "coordinator-chat-tiny.gguf"), preset: "tiny", seed: 1, answerLength: 4 })).path;
  const embedTiny = (await synthModel({ out: join(dir, "coordinator-embed-tiny.gguf"), preset: "tiny", seed: 2 })).path;
  const benchModel = (await synthModel({ out: join(dir, "coordinator-bench.gguf"), preset: opts.smoke ? "tiny" : "bench", seed: 1, contextLength: 4096 })).path;

  const stoppers: (() => Promise<void>)[] = [];
  let stack: RunningStack | undefined;
  let redisVersion = "?";
  try {
    redisVersion = redisServerVersion();
    const redis = await startRedis();
    stoppers.push(redis.stop);

    log("coordinator: starting the stack (tiny chat model, 4-token answers, --max-tokens 8)");
    const [inference, embeddings, aidb, coordinator] = [await freePort(), await freePort(), await freePort(), await freePort()];
    stack = await launchStack({
      aqBin,
      dataDir: stackDir,
      chatModel: chatTiny,
      embedModel: embedTiny,
      redisUrl: redis.url,
      ports: { inference, embeddings, aidb, coordinator },
      // 32 clients would overflow the default queue (10) of the chat service.
      extraArgs: { inference: ["--sequences", "4", "--queue-limit", "64"], coordinator: ["--max-tokens", "8", "--context-token-budget", "500"] },
      env: { NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true", ...strictSimilarity },
    });
    const running = stack;
    stoppers.push(() => running.stop());
    const coord = stack.urls.coordinator;
    const coordPid = stack.services.coordinator.child.pid!;

    const ingest = await postJson(`${stack.urls.aidb}/documents`, { documents: documents(sizes(opts.smoke).documents) });
    if (ingest.status !== 200) throw new Error(`ingest: ${ingest.status} ${await ingest.text()}`);
    const stored = ((await ingest.json()) as { stored: number }).stored;

    // 1. Idle memory: after start and a few requests, idle 3 s.
    log("coordinator: idle memory");
    for (let i = 0; i < 5; i++) {
      const r = await postJson(`${coord}/query`, { query: `How do I roll back ${topics[i]} after a failed rebuild? (warm-up ${i})`, project: "bench" });
      if (r.status !== 200) throw new Error(`/query: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
    }
    await sleep(ms(3000));
    const rssIdle: number[] = [];
    for (let i = 0; i < idleReads; i++) {
      rssIdle.push(rssBytes(coordPid));
      await sleep(ms(500));
    }
    const idleMb = median(rssIdle) / 2 ** 20;

    // 2. Overhead at 32 clients: every query distinct, so each one misses the
    // cache, is embedded for the semantic lookup, retrieved and generated.
    log(`coordinator: overhead, ${CLIENTS} clients, ${ROUNDS} rounds`);
    // Questions of six random words: ones that differ only in a number are
    // "similar" (cosine > 0.95) to the tiny embedding model and would hit.
    const queryBody = { query: "How do I combine {{words}}?", project: "bench" };
    const overheadLoad = (nonce: string, durationMs: number) =>
      load(root, { url: `${coord}/query`, body: queryBody, connections: CLIENTS, durationMs, nonce, words: vocabulary });
    await overheadLoad("warm", ms(2000));
    const before = await overheadBuckets(coord, "query");
    const rounds: LoadResult[] = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await overheadLoad(`r${i}`, ms(3000)));
    const after = await overheadBuckets(coord, "query");
    const semanticHits = rounds.reduce((a, r) => a + r.cache_hits, 0);
    const p = (k: "p50" | "p95" | "p99") => median(rounds.map((r) => r.overhead_ms[k]));
    const samples = rounds.reduce((a, r) => a + r.ok - r.cache_hits, 0);
    const hist95 = histogramQuantile(0.95, before, after);
    const stageMean = (k: string) => median(rounds.map((r) => r.timings_mean_ms[k] ?? 0));
    results.push({
      name: `Coordinator overhead p95, ${CLIENTS} clients (/query, cache misses)`,
      value: p("p95"),
      unit: "ms",
      target: "≤ 2",
      pass: p("p95") <= 2,
      detail:
        `total − retrieve − rerank − generate from each answer's \`timings\`; p50 ${p("p50").toFixed(2)}, p99 ${p("p99").toFixed(2)} ms; median of ${ROUNDS} rounds of 3 s, ${samples} answered by the model (${semanticHits} semantic cache hits left out); ` +
        `mean stages: sanitize ${stageMean("sanitize_ms").toFixed(2)}, cache ${stageMean("cache_ms").toFixed(2)}, expand ${stageMean("expand_ms").toFixed(2)}, compress ${stageMean("compress_ms").toFixed(2)}, retrieve ${stageMean("retrieve_ms").toFixed(1)}, generate ${stageMean("generate_ms").toFixed(1)}, total ${stageMean("total_ms").toFixed(1)} ms`,
    });
    results.push({
      name: "Coordinator overhead p95 from /metrics (cross-check)",
      value: hist95.seconds * 1000,
      unit: "ms",
      target: "≤ 2",
      pass: hist95.seconds * 1000 <= 2,
      detail: `histogram_quantile(0.95) of coordinator_overhead_seconds{endpoint="query"} over the same ${hist95.count} requests, hits included (buckets …1, 2, 5, 10 ms)`,
    });
    results.push({
      name: `/query throughput and latency, ${CLIENTS} clients, cache misses`,
      value: median(rounds.map((r) => r.rps)),
      unit: "requests/s",
      detail: `client-side latency p50 ${median(rounds.map((r) => r.latency_ms.p50)).toFixed(0)} ms, p95 ${median(rounds.map((r) => r.latency_ms.p95)).toFixed(0)} ms; 4-token answers from the tiny model, ${stored} documents in aidb, retrieval on, no reranker`,
    });

    // The same questions from one client: the coordinator's own cost when the
    // machine is not saturated by the other services.
    const single = await load(root, { url: `${coord}/query`, body: queryBody, connections: 1, durationMs: ms(5000), nonce: "single", words: vocabulary });
    results.push({
      name: "Coordinator overhead p95, 1 client (/query, cache misses)",
      value: single.overhead_ms.p95,
      unit: "ms",
      detail: `p50 ${single.overhead_ms.p50.toFixed(2)}, p99 ${single.overhead_ms.p99.toFixed(2)} ms over ${single.ok - single.cache_hits} answers in ${ms(5000) / 1000} s; client-side latency p50 ${single.latency_ms.p50.toFixed(0)} ms`,
    });

    // 3. Cache hits: one question, warmed, then hammered.
    log(`coordinator: cache hits, ${CLIENTS} clients`);
    const hitBody = { query: "What does nix-collect-garbage remove from the nix store?", project: "bench" };
    for (let i = 0; i < 2; i++) await (await postJson(`${coord}/query`, hitBody)).arrayBuffer();
    const check = (await (await postJson(`${coord}/query`, hitBody)).json()) as { cache?: { hit: boolean } };
    if (check.cache?.hit !== true) throw new Error(`cache warm-up: the question is not answered from the cache (${JSON.stringify(check.cache)})`);
    await load(root, { url: `${coord}/query`, body: hitBody, connections: CLIENTS, durationMs: ms(1500) });
    const hitRounds: LoadResult[] = [];
    for (let i = 0; i < ROUNDS; i++) hitRounds.push(await load(root, { url: `${coord}/query`, body: hitBody, connections: CLIENTS, durationMs: ms(3000) }));
    const misses = hitRounds.reduce((a, r) => a + r.ok - r.cache_hits, 0);
    if (misses) throw new Error(`cache-hit rounds: ${misses} answers were not cache hits`);
    const hitRps = median(hitRounds.map((r) => r.rps));
    results.push({
      name: `Semantic cache hits, POST /query, ${CLIENTS} clients`,
      value: hitRps,
      unit: "requests/s",
      target: "≥ 1500",
      pass: hitRps >= 1500,
      detail: `median of ${ROUNDS} rounds of 3 s, every answer \`cache.hit: true\` (${hitRounds.reduce((a, r) => a + r.cache_hits, 0)} checked); latency p50 ${median(hitRounds.map((r) => r.latency_ms.p50)).toFixed(1)} ms, p99 ${median(hitRounds.map((r) => r.latency_ms.p99)).toFixed(1)} ms; overhead p95 ${median(hitRounds.map((r) => r.hit_overhead_ms.p95)).toFixed(2)} ms`,
    });

    const loadedMb = rssBytes(coordPid) / 2 ** 20;
    results.push({
      name: "Coordinator idle resident memory",
      value: idleMb,
      unit: "MB",
      target: "≤ 120",
      pass: idleMb <= 120,
      detail: `VmRSS of the coordinator process after start, 5 queries and 3 s idle (median of 3 reads); ${loadedMb.toFixed(0)} MB after the load runs`,
    });

    // 4. The front door against the inference service directly, bench model.
    log("coordinator: front door vs direct inference (bench model)");
    const inf: ServiceProcess = await startService(aqBin, ["--chat-model", benchModel, "--host", "127.0.0.1"]);
    stoppers.push(inf.stop);
    const front = await startCoordinator(aqBin, join(stackDir, "front-door"), [
      "--inference-url",
      inf.url,
      "--embed-url",
      stack.urls.embeddings,
      "--aidb-url",
      stack.urls.aidb,
      "--redis-url",
      redis.url,
    ]);
    stoppers.push(front.stop);
    const prompt = "Question {{n}}: write about the NixOS module system.";
    const directBody = { messages: [{ role: "user", content: prompt }], max_tokens: FRONT_MAX_TOKENS };
    const frontBody = { ...directBody, retrieval: false };
    const run = (side: "direct" | "front", nonce: string) =>
      load(root, {
        url: side === "direct" ? `${inf.url}/v1/chat/completions` : `${front.url}/v1/chat/completions`,
        body: side === "direct" ? directBody : frontBody,
        connections: FRONT_CLIENTS,
        requests: FRONT_REQUESTS,
        nonce,
      });
    await run("direct", "wd");
    await run("front", "wf");
    const ratios: number[] = [];
    const d: number[] = [];
    const f: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const order: ("direct" | "front")[] = i % 2 ? ["front", "direct"] : ["direct", "front"];
      const got: Partial<Record<"direct" | "front", LoadResult>> = {};
      for (const side of order) got[side] = await run(side, `${side}${i}`);
      if (got.front!.cache_hits) throw new Error("front door: a unique prompt was answered from the cache");
      d.push(got.direct!.tokens_per_s);
      f.push(got.front!.tokens_per_s);
      ratios.push(got.front!.tokens_per_s / got.direct!.tokens_per_s);
    }
    const ratio = median(ratios);
    results.push({
      name: `Front door / direct inference, ${FRONT_CLIENTS} clients (bench model)`,
      value: ratio,
      unit: "ratio",
      target: "≥ 0.9",
      pass: ratio >= 0.9,
      detail: `median of ${ROUNDS} per-round ratios (${ratios.map((r) => r.toFixed(2)).join(", ")}); ${median(f).toFixed(0)} vs ${median(d).toFixed(0)} completion tokens/s; ${FRONT_REQUESTS} requests × ${FRONT_MAX_TOKENS} tokens per side per round, order alternating; \`"retrieval": false\`, a unique prompt per request, Redis on`,
    });
  } finally {
    for (const stop of stoppers.reverse()) await stop().catch((err) => log(`stop failed: ${(err as Error).message}`));
  }

  const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, redis-server ${redisVersion}`;
  return { results, machine };
}

export const coordinatorSuite = {
  title: "Coordinator",
  method: [
    "The whole stack as child processes (`launchStack`: inference, embeddings, aidb, coordinator, each `aq serve ...`) on free loopback ports, with a real `redis-server` (no persistence) for the semantic cache; aidb holds 40 short documents in one project.",
    "Load comes from `bench/loadgen.mjs`, a separate Node process: N concurrent loops on one keep-alive `http.Agent`, fixed duration or request count; it reports latencies and throughput and reads each JSON answer (`timings`, `cache.hit`, `usage`).",
    `Overhead: ${CLIENTS} clients send distinct questions of six random words to POST /query, so that they miss the cache (exact lookup, query embedding and similarity search over the scope's newest 200 vectors, retrieval from aidb, generation, recording, cache store); any answered from the cache would be left out of the client-side figures (none were). Both coordinators run with \`AI_COORDINATOR_SEMANTIC_CACHE_SIMILARITY=1\`: the random-weight embedding model finds most short questions "similar" (cosine above the default 0.95) to one of the scope's 200 newest, so distinct questions were answered from the cache; with 1 only an identical vector matches, and the lookup does the same work. Chat model: \`tiny\` preset with 4-token answers, coordinator \`--max-tokens 8 --context-token-budget 500\` (the tiny model's 400-piece vocabulary spends about one token per character, so the default budget of 1,500 estimated tokens at 3 characters each overflowed its 2,048-token context now and then), chat service \`--sequences 4 --queue-limit 64\` (the default queue of 10 would refuse 32 clients). Overhead per answer = total_ms − retrieve_ms − rerank_ms − generate_ms from the answer's own \`timings\` (the handler's wall time: HTTP parsing and serialisation are not in it, waiting for the event loop is); the figure is the median over rounds of each round's p95. The cross-check interpolates p95 from the coordinator's \`coordinator_overhead_seconds\` histogram, scraped before and after the same rounds.`,
    `Cache hits: one question is asked until it is answered from the cache, then ${CLIENTS} clients repeat it; every answer is checked for \`cache.hit: true\`.`,
    "Memory: VmRSS from /proc/<pid>/status of the coordinator process (its interactions go to aidb's database in batches; no database engine runs inside it), after start, 5 queries and 3 s idle.",
    `Front door: \`/v1/chat/completions\` through a second coordinator (same flags as the stack's, defaults otherwise) with \`"retrieval": false\`, against the inference service's own \`/v1/chat/completions\`, on the \`bench\` preset (answers never end early, so every request generates max_tokens = ${FRONT_MAX_TOKENS}); ${FRONT_CLIENTS} clients, ${FRONT_REQUESTS} requests per side per round, the order alternating round by round. Every prompt is unique (a request number in the text), so the cache never answers (checked on the \`x-ai-stack-routing\` header); Redis stays on, so the coordinator's side pays its cache lookup, the query embedding and the cache store like a real single-turn question. Throughput is completion tokens over the wall time of the side's requests.`,
    "All processes share the machine's 2 cores: the chat model, the embedding model, aidb, Redis, the coordinator and the load generator.",
  ].join("\n- "),
  notes: [
    "What the figures mean, and why targets are missed:",
    "",
    "- *Overhead at 32 clients (missed by an order of magnitude).* Here the two cores are saturated by the other services, not by the coordinator: each answer waits about 1.6 s for the chat model (32 queued RAG prompts of a few hundred tokens, 4 sequences, 1 thread) and the query is embedded twice (semantic lookup, aidb). A CPU profile of a coordinator under this load showed it about 70% idle. Its overhead is mostly waiting for a core each time an awaited reply arrives (about six times per question: the request, the Redis exact lookup, the embedding, the Redis vector list, retrieval, generation), plus the exact lookup's Redis round trip, which runs before retrieval starts and so is not hidden behind it. From one client the same questions give a p50 of 1.4–2 ms and a p95 of 3–7 ms in runs so far. The histogram cross-check agrees in magnitude; its buckets (…5, 10, 25, 50, 100 ms) are too coarse to say more. A 2 ms p95 at 32 clients needs the models on cores of their own; these machines cannot show it.",
    "- *Cache hits.* Met. An earlier version recorded every interaction with an INSERT into a PGlite inside the coordinator (about 40% of its CPU while serving hits; 1,213 to 1,649 requests/s across runs); interactions now go to aidb's database in batches of up to 200 every 20 ms, one HTTP call per batch, which lifted this to about 2,500 requests/s. What is left per hit is the coordinator's own work (the Redis Lua lookup, two pino request lines and the telemetry line).",
    "- *Memory.* On the line: 118 MB in the recorded run, 125 MB in a later one (against 120), so count it as met only narrowly and not reliably. The first version embedded PGlite for the interaction store (527 MB: Node alone is about 42 MB, one PGlite on a data directory about 500 MB); the store now lives in aidb's database, reached through aidb's API. Resident memory grows under load (about 350 MB after the load runs, mostly V8 heap kept by the garbage collector) and is not returned at once.",
  ].join("\n"),
  run: runCoordinatorBench,
};
