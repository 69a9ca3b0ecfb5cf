// Memory and the physical limit (issue 12): what the memory budget
// (lib/memory-budget.nix) is built from, measured; the memory-bandwidth
// ceiling of generation; and a soak of the whole stack under 32 streaming
// clients with each service's V8 heap sized as for a tier.
//
//   npm run bench -- memory      the runtime's overhead, the KV cache per sequence and per token,
//                                the budget's formula against node-llama-cpp's estimates
//   npm run bench -- bandwidth   memory copy bandwidth and generation as a fraction of its ceiling
//   npm run bench -- soak        RSS of every service under load against its tier's cap
import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, totalmem } from "node:os";
import { join } from "node:path";
import memoryFigures from "../lib/memory.json" with { type: "json" };
import modelsJson from "../lib/models.json" with { type: "json" };
import tiersJson from "../lib/tiers.json" with { type: "json" };
import { ggmlTensorBytes } from "../services/models/gguf/ggmlTensorBytes.js";
import { readGgufHeader } from "../services/models/gguf/readGgufHeader.js";
import { synthModel } from "../services/models/synthModel.js";
import { launchStack } from "../services/stack/launchStack.js";
import { postgresMissing, startPostgres } from "../tests/helpers/startPostgres.js";
import { freePort } from "../tests/helpers/startRedis.js";
import type { Suite, SuiteOptions, SuiteRun } from "./benchSuites.js";
import { median, startService } from "./benchUtils.js";
import type { BenchResult } from "./inferenceBench.js";
import { writeShapeModel, type ModelShape } from "./writeShapeModel.js";

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const machine = () => `${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, node-llama-cpp 3.22.1 (CPU build)`;

/** VmRSS, RssAnon and RssFile of a process, in MiB. */
function rss(pid: number): { total: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0);
  return { total: kb("VmRSS") / 1024, anon: kb("RssAnon") / 1024, file: kb("RssFile") / 1024 };
}

async function models(dir: string) {
  mkdirSync(dir, { recursive: true });
  const tiny = (await synthModel({ out: join(dir, "tiny.gguf"), preset: "tiny", seed: 1 })).path;
  const bench = (await synthModel({ out: join(dir, "bench.gguf"), preset: "bench", seed: 1, contextLength: 4096 })).path;
  return { tiny, bench };
}

/**
 * Runs an ES module script in a fresh Node process and parses the JSON it
 * prints last. The script is written under the repository's .bench-artifacts
 * (node-llama-cpp resolves from there; it re-spawns Node to test its
 * binaries, which a `node -e` script would break).
 */
function runScript<T>(root: string, script: string, args: string[]): Promise<T> {
  const dir = join(root, ".bench-artifacts", "scripts");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `script-${createHash("sha256").update(script).digest("hex").slice(0, 12)}.mjs`);
  writeFileSync(file, script);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file, ...args], { cwd: root, env: { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true" }, maxBuffer: 16 * MiB }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      const last = stdout.trim().split("\n").at(-1) ?? "";
      resolve(JSON.parse(last) as T);
    });
  });
}

/** The budget's formula (lib/memory-budget.nix contextMemory), evaluated by Nix; null where nix-instantiate is missing. */
function nixContextMemory(root: string, model: string, contextSize: number, sequences: number, batchSize: number): { kvMiB: number; computeMiB: number } | null {
  const r = spawnSync(
    "nix-instantiate",
    ["--eval", "--strict", "--json", "-E", `(import ./lib).contextMemory { model = "${model}"; contextSize = ${contextSize}; sequences = ${sequences}; batchSize = ${batchSize}; }`],
    { cwd: root, encoding: "utf8", env: { ...process.env, NIX_CONFIG: "build-users-group =" } },
  );
  return r.status === 0 ? (JSON.parse(r.stdout) as { kvMiB: number; computeMiB: number }) : null;
}

// ---------------------------------------------------------------- memory

/** A context's memory in a fresh process: RssAnon before and after createContext and a prompt, and node-llama-cpp's estimate. */
const contextScript = `
import { readFileSync } from "node:fs";
import { getLlama, GgmlType } from "node-llama-cpp";
const [path, ctxS, seqS] = process.argv.slice(2);
const anon = () => Number(readFileSync("/proc/self/status", "utf8").match(/^RssAnon:\\s+(\\d+)/m)[1]) / 1024;
const llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: "error" });
const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
const before = anon();
const contextSize = Number(ctxS), sequences = Number(seqS);
const estimate = await model.fileInsights.estimateContextResourceRequirementsV2({ contextSize, sequences, modelGpuLayers: 0 });
const context = await model.createContext({ contextSize, sequences, threads: 1 });
const created = anon();
const seq = context.getSequence();
const tokens = model.tokenize("the quick brown fox jumps over the lazy dog ".repeat(400)).slice(0, Math.min(contextSize - 16, 1000));
await seq.evaluateWithoutGeneratingNewTokens(tokens);
console.log(JSON.stringify({ contextSize: context.contextSize, createdMiB: created - before, evaluatedMiB: anon() - before, estimateMiB: estimate.cpuRam / 1048576 }));
`;

/** node-llama-cpp's estimate of a shape model's weights and of one context. */
const shapeScript = `
import { getLlama, readGgufFileInfo, GgufInsights } from "node-llama-cpp";
const [path, ctxS, seqS, batchS] = process.argv.slice(2);
const llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: "error" });
const insights = await GgufInsights.from(await readGgufFileInfo(path), llama);
const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 });
const context = await insights.estimateContextResourceRequirementsV2({ contextSize: Number(ctxS), sequences: Number(seqS), batchSize: Number(batchS), modelGpuLayers: 0 });
console.log(JSON.stringify({ modelMiB: model.cpuRam / 1048576, contextMiB: context.cpuRam / 1048576 }));
`;

async function runMemoryBench(root: string, opts: SuiteOptions): Promise<SuiteRun> {
  const { log, smoke } = opts;
  const aqBin = join(root, "dist", "aq.js");
  const { tiny, bench } = await models(join(opts.artifactsDir, "memory-models"));
  const results: BenchResult[] = [];

  // 1. The runtime: aq serve inference, idle, with a model of a few hundred KB.
  log("memory: the inference runtime at rest");
  const svc = await startService(aqBin, ["--chat-model", tiny, "--threads", "1", "--sequences", "1", "--context-size", "512", "--gpu", "off"]);
  await sleep(smoke ? 200 : 1500);
  const idle = rss(svc.pid);
  const metrics = await (await fetch(`${svc.url}/metrics`)).text();
  const heapUsed = Number(metrics.match(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)/m)?.[1] ?? 0) / MiB;
  await svc.stop();
  results.push(
    { name: "aq serve inference at rest (tiny model): RSS", value: idle.total, unit: "MiB", detail: `anonymous ${idle.anon.toFixed(0)} + file-backed ${idle.file.toFixed(0)} (Node, the llama.cpp libraries); V8 heap in use ${heapUsed.toFixed(1)} MiB` },
    {
      name: "runtime besides the V8 heap",
      value: idle.total - heapUsed,
      unit: "MiB",
      detail: `RSS less the heap in use; the budget counts llamaRuntimeMiB = ${memoryFigures.llamaRuntimeMiB} plus the unit's heap cap (llamaHeapMiB = ${memoryFigures.llamaHeapMiB})`,
    },
  );

  // 2. The KV cache: contextSize is per sequence; llama.cpp allocates contextSize x sequences.
  log("memory: contexts of the bench model");
  const configs: [number, number][] = smoke ? [[512, 1], [256, 2]] : [[1024, 1], [1024, 4], [4096, 1], [2048, 2], [4096, 4]];
  const measured: Record<string, { contextSize: number; createdMiB: number; evaluatedMiB: number; estimateMiB: number }> = {};
  for (const [ctx, seqs] of configs) {
    const r = await runScript<{ contextSize: number; createdMiB: number; evaluatedMiB: number; estimateMiB: number }>(root, contextScript, [bench, String(ctx), String(seqs)]);
    measured[`${ctx}x${seqs}`] = r;
    results.push({
      name: `bench model, contextSize ${ctx} x ${seqs} sequence${seqs > 1 ? "s" : ""}: RSS of the context`,
      value: r.createdMiB,
      unit: "MiB",
      detail: `after a ${Math.min(ctx - 16, 1000)}-token prompt ${r.evaluatedMiB.toFixed(1)} MiB; node-llama-cpp's estimate ${r.estimateMiB.toFixed(1)} MiB (KV cache + compute buffers as allocated); context.contextSize = ${r.contextSize}`,
    });
  }
  const perToken = await runScript<{ a: number; b: number }>(
    root,
    `import { getLlama, readGgufFileInfo, GgufInsights } from "node-llama-cpp";
     const llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: "error" });
     const i = await GgufInsights.from(await readGgufFileInfo(process.argv[2]), llama);
     const e = (s) => i.estimateContextResourceRequirementsV2({ contextSize: 2048, sequences: s, modelGpuLayers: 0, batchSize: 512 });
     console.log(JSON.stringify({ a: (await e(1)).cpuRam, b: (await e(2)).cpuRam }));`,
    [bench],
  );
  results.push({
    name: "KV cache per token, bench model (f16)",
    value: (perToken.b - perToken.a) / 2048,
    unit: "bytes",
    detail: "node-llama-cpp's estimate of 2048 x 2 sequences less 2048 x 1, per token; the formula 2 (K, V) x 8 layers x 4 KV heads x 64 x 2 bytes = 8192",
  });

  // 3. The budget's formula against node-llama-cpp on files with the registry models' shapes.
  const chatModels = modelsJson.models.filter((m) => m.capabilities.includes("chat"));
  const shapes = smoke ? chatModels.slice(0, 1) : chatModels;
  const shapeDir = join(opts.artifactsDir, "shape-models");
  mkdirSync(shapeDir, { recursive: true });
  for (const m of shapes) {
    const tier = Object.values(tiersJson).find((t) => t.defaultModel === m.id) ?? tiersJson.micro;
    const { contextSize, sequences, batchSize } = tier.inference;
    const ctx = smoke ? 512 : contextSize;
    log(`memory: the shape of ${m.id}, ${ctx} x ${sequences}`);
    const file = join(shapeDir, `${m.id}.gguf`);
    const a = m.architecture;
    const shape: ModelShape = { ...a, tied_embeddings: true, context_length: m.context_length };
    writeShapeModel(file, shape, m.id);
    try {
      const est = await runScript<{ modelMiB: number; contextMiB: number }>(root, shapeScript, [file, String(ctx), String(sequences), String(batchSize)]);
      const formula = nixContextMemory(root, m.id, ctx, sequences, batchSize);
      const sum = formula ? formula.kvMiB + formula.computeMiB : null;
      results.push({
        name: `${m.id} shape, ${ctx} x ${sequences}, batch ${batchSize}: context`,
        value: est.contextMiB,
        unit: "MiB",
        detail: sum === null ? "node-llama-cpp's estimate (nix-instantiate not found: no formula to compare)" : `node-llama-cpp's estimate; lib/memory-budget.nix: ${sum} MiB (KV ${formula!.kvMiB} + compute ${formula!.computeMiB}), ${(((sum - est.contextMiB) / est.contextMiB) * 100).toFixed(1)}%`,
      });
    } finally {
      rmSync(file, { force: true });
    }
  }
  return { results, machine: machine() };
}

export const memorySuite: Suite = {
  title: "Memory: what the budget is made of",
  method: [
    "Synthetic models from `aq models synth`: `tiny` (a few hundred KB) and `bench` (vocabulary 32,000, n_embd 512, 8 layers, 4 KV heads of 64, Q8_0, 59 MiB).",
    "The runtime: `aq serve inference --gpu off` with the tiny model, 1.5 s after `/ready`; VmRSS, RssAnon and RssFile from /proc, the V8 heap in use from its /metrics (`nodejs_heap_size_used_bytes`).",
    "Contexts: each in a fresh Node process, node-llama-cpp on the CPU build: RssAnon before and after `createContext({ contextSize, sequences })`, and after a prompt of up to 1,000 tokens in one sequence; beside it node-llama-cpp's own estimate (`estimateContextResourceRequirementsV2`, its simulation of what llama.cpp allocates).",
    "Shapes: for each registry chat model, a file with its architecture (lib/models.json: layers, heads, KV heads, head size, feed-forward and vocabulary; all-zero Q8_0 weights, written sparse by bench/writeShapeModel.ts), at its tier's contextSize, sequences and batchSize: node-llama-cpp's estimate of the context against lib/memory-budget.nix's formula (KV cache contextSize x sequences x 2 x layers x KV heads x head size x 2 bytes; compute buffers batch x 4 x (vocabulary + 6 x embedding length)).",
  ].join("\n- "),
  notes: [
    "What this shows:",
    "",
    "- *contextSize is per sequence.* node-llama-cpp creates the native context with contextSize x sequences cells (`LlamaContext`: `contextSize: padSafeContextSize(contextSize * sequences)`), and `context.contextSize` reports the per-sequence figure: 1024 x 4 costs what 4096 x 1 does, and 4096 x 4 four times that (tests/inference/memoryBudget.test.ts also fills two sequences of a 512-token context with 480 tokens each).",
    "- *What is touched.* The KV cache is written when the context is created, so it is resident at once; the compute buffers are reserved for the worst case (logits for a whole 512-token batch: vocabulary x 512 x 4 bytes) but only partly touched by generation. The budget counts them whole, as node-llama-cpp's estimate does.",
    "- *Weights.* With mmap (the default) a Q8_0 model's layers are repacked into anonymous memory on x86-64 while the file's pages stay in the page cache; those pages are clean and the kernel reclaims them under the unit's MemoryHigh. The budget counts the weights once, at the file's size.",
  ].join("\n"),
  run: runMemoryBench,
};

// ---------------------------------------------------------------- bandwidth

/**
 * Memory bandwidth of one thread, in bytes per second (best round): `read`
 * compares two equal buffers (Buffer.equals, a SIMD memcmp that reads both
 * to the end), as generation streams its weights; `copy` counts bytes read
 * plus written (Buffer.copy, a memcpy), as STREAM's Copy does.
 */
function bandwidth(size: number, reps: number): { read: number; copy: number } {
  const src = Buffer.allocUnsafe(size).fill(7);
  const dst = Buffer.allocUnsafe(size).fill(7);
  const best = (f: () => void, bytes: number) => {
    f();
    let top = 0;
    for (let i = 0; i < reps; i++) {
      const t = process.hrtime.bigint();
      f();
      top = Math.max(top, bytes / (Number(process.hrtime.bigint() - t) / 1e9));
    }
    return top;
  };
  const read = best(() => {
    if (!src.equals(dst)) throw new Error("the buffers differ");
  }, 2 * size);
  const copy = best(() => src.copy(dst), 2 * size);
  return { read, copy };
}

/** Bytes a dense model reads per generated token: every tensor, less the token-embedding table when a separate output matrix exists (generation looks up one row of it). */
async function bytesPerToken(path: string): Promise<{ perToken: number; weights: number }> {
  const header = await readGgufHeader(path);
  const size = (t: { type: number; dims: number[] }) => Number(ggmlTensorBytes(t.type, t.dims.map(BigInt)));
  const weights = header.tensors.reduce((a, t) => a + size(t), 0);
  const embd = header.tensors.find((t) => t.name === "token_embd.weight");
  const untied = header.tensors.some((t) => t.name === "output.weight");
  return { weights, perToken: weights - (untied && embd ? size(embd) : 0) };
}

const generationScript = `
import { getLlama } from "node-llama-cpp";
const [path, tokensS, roundsS] = process.argv.slice(2);
const llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: "error" });
const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
const context = await model.createContext({ contextSize: 1024, sequences: 1, threads: 1 });
const seq = context.getSequence();
const rates = [];
for (let r = 0; r < Number(roundsS); r++) {
  await seq.clearHistory();
  const prompt = model.tokenize("Write about the NixOS module system.");
  let n = 0, t0 = 0;
  for await (const token of seq.evaluate(prompt, { temperature: 0 })) {
    if (n === 0) t0 = performance.now();
    if (++n > Number(tokensS)) break;
  }
  rates.push((n - 1) / ((performance.now() - t0) / 1000));
}
rates.sort((a, b) => a - b);
console.log(JSON.stringify({ tokensPerSecond: rates[Math.floor(rates.length / 2)] }));
`;

function l3CacheBytes(): number | null {
  try {
    const text = readFileSync("/sys/devices/system/cpu/cpu0/cache/index3/size", "utf8").trim();
    const m = /^(\d+)([KMG])?$/.exec(text);
    return m ? Number(m[1]) * { K: 1024, M: MiB, G: 1024 * MiB }[(m[2] ?? "K") as "K" | "M" | "G"] : null;
  } catch {
    return null;
  }
}

async function runBandwidthBench(root: string, opts: SuiteOptions): Promise<SuiteRun> {
  const { log, smoke } = opts;
  const { bench } = await models(join(opts.artifactsDir, "memory-models"));
  const l3 = l3CacheBytes();
  // Twice the last-level cache (at least 1 GiB), so the scan measures DRAM, not the cache.
  const size = smoke ? 16 * MiB : Math.max(1024 * MiB, 2 * (l3 ?? 0));
  log(`bandwidth: memory, ${size / MiB} MiB buffers`);
  const bw = bandwidth(size, smoke ? 2 : 8);
  const results: BenchResult[] = [
    { name: "memory read bandwidth, one thread", value: bw.read / 1e9, unit: "GB/s", detail: `two ${size / MiB} MiB buffers compared to the end (Buffer.equals), best of the rounds; last-level cache ${l3 ? `${l3 / MiB} MiB` : "unknown"}` },
    { name: "memory copy bandwidth, one thread", value: bw.copy / 1e9, unit: "GB/s", detail: `bytes read + written per second (Buffer.copy of ${size / MiB} MiB), best of the rounds` },
  ];
  const runs: { label: string; path: string; tokens: number }[] = [{ label: "bench model (59 MiB)", path: bench, tokens: smoke ? 16 : 256 }];
  if (!smoke) {
    // A model larger than the cache: Qwen2.5-0.5B's shape (lib/models.json), all-zero Q8_0 weights. Generation reads the same bytes whatever their values.
    const m = modelsJson.models.find((x) => x.id === "qwen2.5-0.5b-q8_0")!;
    const file = join(opts.artifactsDir, "shape-models", "qwen2.5-0.5b-generation.gguf");
    mkdirSync(join(opts.artifactsDir, "shape-models"), { recursive: true });
    writeShapeModel(file, { ...m.architecture, tied_embeddings: true, context_length: m.context_length }, m.id);
    runs.push({ label: "Qwen2.5-0.5B shape (504 MiB, zero weights)", path: file, tokens: 64 });
  }
  try {
    for (const r of runs) {
      log(`bandwidth: generation, ${r.label}`);
      const gen = await runScript<{ tokensPerSecond: number }>(root, generationScript, [r.path, String(r.tokens), String(smoke ? 1 : 3)]);
      const { perToken } = await bytesPerToken(r.path);
      const ceiling = bw.read / perToken;
      const cached = l3 !== null && perToken < l3;
      results.push(
        { name: `generation, ${r.label}, one thread`, value: gen.tokensPerSecond, unit: "tokens/s", detail: `median of the rounds, ${r.tokens} completion tokens after a short prompt (the prompt excluded), temperature 0` },
        {
          name: `${r.label}: generation / (read bandwidth / bytes per token)`,
          value: gen.tokensPerSecond / ceiling,
          unit: "",
          detail: `ceiling ${ceiling.toFixed(0)} tokens/s = ${(bw.read / 1e9).toFixed(1)} GB/s / ${(perToken / MiB).toFixed(1)} MiB read per token${cached ? `; the weights fit the ${l3! / MiB} MiB cache, so this is not DRAM-bound and may exceed 1` : ""}`,
        },
      );
    }
  } finally {
    for (const r of runs.slice(1)) rmSync(r.path, { force: true });
  }
  return { results, machine: machine() };
}

export const bandwidthSuite: Suite = {
  title: "The physical limit: generation against the memory-bandwidth ceiling",
  method: [
    "Generating one token reads every weight matrix once, so on a dense model tokens/s <= memory bandwidth / bytes read per token.",
    "Bandwidth: one thread, buffers of twice the last-level cache (at least 1 GiB), best of 8 rounds: reading (Buffer.equals of two equal buffers: glibc's SIMD memcmp reads both to the end), and a copy (Buffer.copy: bytes read plus written, as STREAM's Copy counts them).",
    "Bytes read per token: the model's tensors from its GGUF header, less the token-embedding table where a separate output matrix exists (generation looks up one row of it).",
    "Generation: node-llama-cpp CPU build, one thread (the fastest on these 2 cores), a 1,024-token context, in a fresh Node process, median of 3 rounds; on the synthetic `bench` model (59 MiB) and on a file with Qwen2.5-0.5B's shape (lib/models.json; 504 MiB of all-zero Q8_0 weights, larger than the cache; generation reads the same bytes whatever their values).",
  ].join("\n- "),
  notes: [
    "Read the fraction with the machine in mind: one thread of a shared 2-core VM whose CPU reports a 480 MiB last-level cache, and figures that move by 2x between runs (the copy bandwidth measured 7.9 to 14.9 GB/s on the same machine). The bench model's weights fit that cache, so its ratio is not a DRAM figure (a run that divided by the copy bandwidth instead came out at 1.56); the 0.5B shape does not fit, and shows the share of one thread's read bandwidth that one generating thread reaches: well under 1, since a single core's Q8_0 arithmetic is slower than its memory. On a real host every inference thread generates, and the dashboard's \"Generation vs. memory-bandwidth ceiling\" panel watches the same ratio with the host's memoryBandwidthGBs fact (the spec sheet's peak for all channels, or this suite's figure measured there).",
  ].join("\n"),
  run: runBandwidthBench,
};

// ---------------------------------------------------------------- soak

interface Sample {
  rss: number;
  at: number;
}

const soakTier = "nano" as const;

async function runSoakBench(root: string, opts: SuiteOptions): Promise<SuiteRun> {
  const { log, smoke } = opts;
  const aqBin = join(root, "dist", "aq.js");
  const { tiny } = await models(join(opts.artifactsDir, "memory-models"));
  const embed = (await synthModel({ out: join(opts.artifactsDir, "memory-models", "embed.gguf"), preset: "tiny", seed: 3 })).path;
  const tier = tiersJson[soakTier];
  const nodeCapMiB = Number(tier.memoryMax.replace("M", ""));
  const nodeHeap = Math.floor(nodeCapMiB * memoryFigures.nodeHeapShare);
  const seconds = smoke ? 3 : Number(process.env.BENCH_SOAK_SECONDS ?? 120);
  const pg = postgresMissing ? null : await startPostgres({ maxConnections: 50 });
  const dbUrl = pg ? await pg.createDatabase("soak") : undefined;
  const results: BenchResult[] = [];
  const notes: string[] = [];
  if (!pg) notes.push(`No PostgreSQL here (${postgresMissing}): aidb ran on PGlite in its own process, which is not what NixOS runs.`);

  const phase = async (label: string, heaps: boolean) => {
    const dataDir = join(opts.artifactsDir, `soak-${label}`);
    rmSync(dataDir, { recursive: true, force: true });
    const heapEnv = (mib: number) => (heaps ? { NODE_OPTIONS: `--max-old-space-size=${mib}` } : { NODE_OPTIONS: "" });
    const stack = await launchStack({
      aqBin,
      dataDir,
      chatModel: tiny,
      embedModel: embed,
      ports: { inference: await freePort(), embeddings: await freePort(), aidb: await freePort(), coordinator: await freePort() },
      aidbDatabaseUrl: dbUrl,
      env: { NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true" },
      extraArgs: {
        inference: ["--threads", "1", "--sequences", "4", "--queue-limit", "64", "--gpu", "off"],
        embeddings: ["--threads", "1", "--gpu", "off"],
        coordinator: ["--max-tokens", "48"],
      },
      serviceEnv: {
        inference: heapEnv(memoryFigures.llamaHeapMiB),
        embeddings: heapEnv(memoryFigures.llamaHeapMiB),
        aidb: heapEnv(nodeHeap),
        coordinator: heapEnv(nodeHeap),
      },
    });
    try {
      const docs = Array.from({ length: 20 }, (_, i) => ({ project: "soak", title: `note ${i}`, text: `Note ${i} on flakes, modules and the nix store. `.repeat(20) }));
      const ingest = await fetch(`${stack.urls.aidb}/documents`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ documents: docs }) });
      await ingest.body?.cancel();
      const samples: Record<string, Sample[]> = {};
      const names = ["inference", "embeddings", "aidb", "coordinator"] as const;
      const start = Date.now();
      const timer = setInterval(() => {
        for (const n of names) {
          const pid = stack.services[n].child.pid;
          if (pid) (samples[n] ??= []).push({ rss: rss(pid).total, at: Date.now() - start });
        }
      }, 500);
      const before = Object.fromEntries(names.map((n) => [n, rss(stack.services[n].child.pid!).total]));
      log(`soak (${label}): 32 streaming clients for ${seconds} s`);
      const loadReport = await new Promise<{ requests: number; errors: number; statuses: Record<string, number> }>((resolve, reject) =>
        execFile(
          process.execPath,
          [
            join(root, "bench", "loadgen.mjs"),
            JSON.stringify({
              url: `${stack.urls.coordinator}/query`,
              connections: 32,
              durationMs: seconds * 1000,
              body: JSON.stringify({ query: "soak {{n}}: how do {{words}} work?", project: "soak", stream: true }),
              words: ["flakes", "modules", "overlays", "derivations", "channels", "the store", "garbage", "caches"],
            }),
          ],
          { maxBuffer: 64 * MiB },
          (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))),
        ),
      );
      clearInterval(timer);
      const caps: Record<string, number | null> = {
        aidb: nodeCapMiB,
        coordinator: nodeCapMiB,
        inference: null,
        embeddings: null,
      };
      // The model units' caps: MemoryMax = 1.1 x (runtime + heap + node-llama-cpp's estimate of their models), as the budget gives them.
      for (const n of ["inference", "embeddings"] as const) {
        const status = await (await fetch(`${stack.urls[n]}/status`)).json();
        const estimate = status.memory?.estimate_bytes?.total as number | undefined;
        caps[n] = estimate ? Math.ceil((estimate / MiB) * (1 + memoryFigures.headroomShare)) : Math.ceil((memoryFigures.llamaRuntimeMiB + memoryFigures.llamaHeapMiB) * (1 + memoryFigures.headroomShare));
      }
      for (const n of names) {
        const s = samples[n] ?? [];
        const peak = Math.max(...s.map((x) => x.rss));
        const end = s.at(-1)?.rss ?? NaN;
        const cap = caps[n]!;
        results.push({
          name: `${label}: ${n} peak RSS`,
          value: peak,
          unit: "MiB",
          ...(heaps ? { target: `<= ${cap} MiB`, pass: peak <= cap } : {}),
          detail: `${before[n].toFixed(0)} MiB before the load, ${end.toFixed(0)} at the end; ${heaps ? `--max-old-space-size=${n === "aidb" || n === "coordinator" ? nodeHeap : memoryFigures.llamaHeapMiB}` : "no heap limit"}${n === "aidb" || n === "coordinator" ? `; the ${soakTier} tier's MemoryMax ${tier.memoryMax}` : "; MemoryMax as the budget gives these models"}`,
        });
      }
      const ok = loadReport.statuses["200"] ?? 0;
      results.push({ name: `${label}: streamed answers`, value: ok, unit: "requests", detail: `${loadReport.requests} sent, ${loadReport.errors} not 200 (${JSON.stringify(loadReport.statuses)})` });
    } finally {
      await stack.stop();
    }
  };

  try {
    await phase("heap sized as for nano", true);
    if (!smoke) await phase("no heap limit (before)", false);
  } finally {
    await pg?.stop();
  }
  return { results, machine: machine(), notes: notes.join("\n") || undefined };
}

export const soakSuite: Suite = {
  title: "Soak: every service's RSS under load against its tier's cap",
  method: [
    "The whole stack as child processes (`launchStack`, what `aq up` runs): inference with the synthetic `tiny` chat model (4 sequences, 1 thread), the embeddings instance with another tiny model, aidb on PostgreSQL 15 with pgvector (as on NixOS), the coordinator; 20 documents ingested first.",
    "Heaps as the NixOS units set them for the nano tier (the smallest caps): `--max-old-space-size` = 60% of the Node services' 192M MemoryMax (115) for aidb and the coordinator, 64 for the two llama.cpp units; their caps are the MemoryMax the budget gives them: 1.1 x (runtime + heap + node-llama-cpp's estimate of their models).",
    "Load: bench/loadgen.mjs in its own process, 32 concurrent clients streaming POST /query (`stream: true`, 48 tokens) to the coordinator for 120 s; each service's VmRSS sampled every 0.5 s; then the same without heap limits, for comparison.",
  ].join("\n- "),
  notes: [
    "The caps are MemoryMax values; the budget's sum counts the Node services at them and the model units at their need (MemoryHigh), 10% lower. Under a real cgroup the kernel would reclaim file-backed pages (the Node binary, the llama.cpp libraries, mmapped weights) before a unit reaches its cap; here nothing is capped, so the figures are what the processes would hold without that pressure.",
  ].join("\n"),
  run: runSoakBench,
};
