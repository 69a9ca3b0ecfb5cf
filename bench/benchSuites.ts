// The benchmark suites and the writer of their sections of
// docs/benchmarks.md. `runBenchmarks.ts` is the command line over this;
// tests/bench/benchSmoke.test.ts runs every suite at smoke sizes through it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { aidbSuite } from "./aidbBench.js";
import { coordinatorSuite } from "./coordinatorBench.js";
import { runInferenceBench, type BenchResult } from "./inferenceBench.js";
import { bandwidthSuite, memorySuite, soakSuite } from "./memoryBench.js";

export interface SuiteOptions {
  /** Tiny sizes: every step once, in seconds; the figures mean nothing. */
  smoke: boolean;
  /** Where models, data directories and logs go. */
  artifactsDir: string;
  log: (message: string) => void;
}

export interface SuiteRun {
  results: BenchResult[];
  machine: string;
  /** What this run adds to the suite's notes (a part that was skipped, and why). */
  notes?: string;
}

export interface Suite {
  title: string;
  method: string;
  /** What the figures mean, above all where a target is missed. */
  notes?: string;
  run: (root: string, opts: SuiteOptions) => Promise<SuiteRun>;
}

export const suites: Record<string, Suite> = {
  inference: {
    title: "Inference service",
    method: [
      "Synthetic models from `aq models synth` (`bench` preset: vocabulary 32,000, n_embd 512, 8 layers, Q8_0, about 62 MB; `tiny` for memory).",
      "The service runs as its own process (`aq serve inference`, default thread count); requests go over loopback HTTP.",
      "Contenders alternate round by round in the same run and each figure is the median of the rounds, so a noisy neighbour hits both sides alike.",
      "In-process generation uses node-llama-cpp directly with the same context size, sequences and threads as the service. Tokens/s counts completion tokens over the wall time of the whole request, prompt evaluation included, on both sides.",
      "Embeddings: 256 single-text requests sent at once to two service instances, one with `embeddingBatching` on and one with it off; throughput is texts per second.",
      "Memory is VmRSS of the service process 1.5 s after `/ready`. Start to ready is process spawn until `/ready` answers 200.",
    ].join("\n- "),
    notes: [
      "Where the 2× targets are missed, and why. Both need work that can be batched or spread over idle cores, and on these 2-core machines there is little of either:",
      "",
      "- *4 concurrent vs sequential, bench model.* One generation thread already keeps one core busy: at about 200 tokens/s the 62 MB model is bound by arithmetic on that core, so evaluating four sequences in one llama.cpp batch costs about four times one. node-llama-cpp run directly shows the same ratio (0.8–1.0× in a side probe), so the service adds nothing to the loss. More threads do not help: llama.cpp's worker threads spin, and 2 threads on 2 cores with the HTTP server and the client running made single generations 3–4× slower. On the tiny model, where per-token overhead rather than arithmetic dominates, batching does pay (the tiny row). On machines with more cores or a memory-bound model (every real model is), batched sequences are the main source of throughput; the tier profiles set `sequences` accordingly.",
      "- *Streaming vs in-process.* The streamed ratio varies between runs (0.89–1.04 so far) while non-streamed stays at 1.0–1.2: the client reading the stream, the service writing one event per token and the generation thread share two cores. Three processes on two cores is the cost being measured here, not a fixed SSE overhead.",
      "- *Embeddings, batching on vs off.* node-llama-cpp 3.22 returns the pooled embedding of sequence 0 only (`llama_get_embeddings_seq(ctx, 0)` in its addon), so texts cannot share one llama.cpp batch; a batch is spread over `embedContexts` contexts with one thread each instead. On 2 busy cores that parallelism is worth little. True batched embedding needs per-sequence pooled outputs from the binding.",
    ].join("\n"),
    run: runInferenceBench,
  },
  aidb: aidbSuite,
  coordinator: coordinatorSuite,
  memory: memorySuite,
  bandwidth: bandwidthSuite,
  soak: soakSuite,
};

export interface RunSuitesOptions {
  root: string;
  /** Suite names; all of them when empty. */
  names: string[];
  smoke: boolean;
  /** The Markdown file whose sections are rewritten, or null to write nothing. */
  file: string | null;
  artifactsDir?: string;
  log?: (message: string) => void;
}

/** Runs the chosen suites one after another; after each, rewrites its section of `file`. */
export async function runSuites(opts: RunSuitesOptions): Promise<Record<string, SuiteRun>> {
  const names = opts.names.length ? opts.names : Object.keys(suites);
  for (const name of names) if (!suites[name]) throw new Error(`unknown suite ${name}; known: ${Object.keys(suites).join(", ")}`);
  const log = opts.log ?? ((m: string) => process.stderr.write(`bench: ${m}\n`));
  const artifactsDir = opts.artifactsDir ?? join(opts.root, ".bench-artifacts", opts.smoke ? "smoke" : "");
  mkdirSync(artifactsDir, { recursive: true });
  const out: Record<string, SuiteRun> = {};
  for (const name of names) {
    const suite = suites[name];
    const run = await suite.run(opts.root, { smoke: opts.smoke, artifactsDir, log });
    out[name] = run;
    if (opts.file) {
      let doc = existsSync(opts.file) ? readFileSync(opts.file, "utf8") : header();
      const start = `<!-- bench:${name}:start -->`;
      const end = `<!-- bench:${name}:end -->`;
      const block = `${start}\n${render(name, suite, run)}\n${end}`;
      doc = doc.includes(start) ? doc.replace(new RegExp(`${start}[\\s\\S]*?${end}`), () => block) : `${doc.trimEnd()}\n\n${block}\n`;
      writeFileSync(opts.file, doc);
    }
    for (const r of run.results) log(`${r.name}: ${fmt(r.value)} ${r.unit}${r.target ? ` (target ${r.target}: ${r.pass ? "met" : "MISSED"})` : ""}`);
  }
  return out;
}

function header(): string {
  return [
    "# Benchmarks",
    "",
    "Written by `npm run bench` (or `npm run bench -- <suite>`); each section says how it was measured, on what machine and when.",
    "These machines are noisy: compare the ratios, which are measured side by side in one run, rather than absolute numbers across runs.",
    "",
  ].join("\n");
}

export function render(name: string, suite: Suite, run: SuiteRun): string {
  const date = new Date().toISOString().slice(0, 10);
  const rows = run.results.map(
    (r) => `| ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.target ?? ""} | ${r.target ? (r.pass ? "met" : "**missed**") : ""} | ${r.detail} |`,
  );
  const notes = [run.notes, suite.notes].filter(Boolean).join("\n\n");
  return [
    `## ${suite.title}`,
    "",
    `Measured ${date} on ${run.machine}. Suite \`${name}\`.`,
    "",
    "| measure | result | target | | how |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "Method:",
    "",
    `- ${suite.method}`,
    ...(notes ? ["", notes] : []),
  ].join("\n");
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
