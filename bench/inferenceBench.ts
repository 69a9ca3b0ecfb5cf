// Inference benchmarks (issue: foundation and inference service). Every
// comparison runs side by side in one process tree, alternating the
// contenders round by round, and reports medians.
import { availableParallelism, cpus, totalmem } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaChat, resolveChatWrapper, type ChatHistoryItem } from "node-llama-cpp";
import { synthModel } from "../services/models/synthModel.js";
import { defaultThreads } from "../services/inference/defaultThreads.js";
import type { SuiteOptions, SuiteRun } from "./benchSuites.js";
import { median, postJson, rssBytes, startService, type ServiceProcess } from "./benchUtils.js";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target?: string;
  pass?: boolean;
  detail: string;
}

/** Four requests at once against the same four one after another, same service. */
async function concurrency(svc: ServiceProcess, preset: string, rounds: number, maxTokens: number): Promise<BenchResult> {
  const body = { messages: [{ role: "user", content: "Write about the NixOS module system." }], max_tokens: maxTokens, temperature: 1 };
  const one = async () => (await postJson(`${svc.url}/v1/chat/completions`, body)).json();
  const sequential = async () => {
    const t = performance.now();
    for (let i = 0; i < 4; i++) await one();
    return (performance.now() - t) / 1000;
  };
  const concurrent = async () => {
    const t = performance.now();
    await Promise.all(Array.from({ length: 4 }, one));
    return (performance.now() - t) / 1000;
  };
  await concurrent();
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) ratios.push((await sequential()) / (await concurrent()));
  const r = median(ratios);
  return {
    name: `Throughput, 4 concurrent / 4 sequential (${preset})`,
    value: r,
    unit: "×",
    target: "≥ 2",
    pass: r >= 2,
    detail: `4 × ${maxTokens} tokens, --sequences 4, median of ${rounds}`,
  };
}

export async function runInferenceBench(root: string, opts: SuiteOptions): Promise<SuiteRun> {
  const { smoke, log } = opts;
  // Smoke sizes run every step once on the tiny model, in seconds.
  const rounds = smoke ? 1 : Number(process.env.BENCH_ROUNDS ?? 5);
  const genTokens = smoke ? 16 : 256;
  const concurrentTokens = smoke ? 16 : 128;
  const burstSize = smoke ? 16 : 256;
  const startups = smoke ? 1 : 3;
  const dir = opts.artifactsDir;
  const aqBin = join(root, "dist", "aq.js");
  const bench = (await synthModel({ out: join(dir, "bench.gguf"), preset: smoke ? "tiny" : "bench", seed: 1, contextLength: 4096 })).path;
  const tiny = (await synthModel({ out: join(dir, "tiny.gguf"), preset: "tiny", seed: 1 })).path;
  const threads = defaultThreads();
  const results: BenchResult[] = [];

  // 1. Tokens/s through the HTTP API against node-llama-cpp in-process.
  {
    log("generation: HTTP vs in-process");
    const svc = await startService(aqBin, ["--chat-model", bench, "--sequences", "4", "--context-size", "2048", "--threads", String(threads)]);
    const llama = await getLlama({ gpu: false, build: "never", maxThreads: threads });
    const model = await llama.loadModel({ modelPath: bench, gpuLayers: 0 });
    const context = await model.createContext({ contextSize: 2048, sequences: 4, threads });
    const sequence = context.getSequence();
    // The same chat wrapper and sampling options the service uses.
    const chatWrapper = resolveChatWrapper(model);
    const history: ChatHistoryItem[] = [
      { type: "user", text: "Write about the NixOS module system." },
      { type: "model", response: [] },
    ];
    const direct = async () => {
      const chat = new LlamaChat({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false });
      let tokens = 0;
      const t = performance.now();
      await chat.generateResponse(history, { maxTokens: genTokens, temperature: 1, repeatPenalty: false, onToken: (x) => (tokens += x.length) });
      const s = (performance.now() - t) / 1000;
      // Like the service: the sequence keeps its tokens, so a repeated prompt
      // prefix is not evaluated again.
      chat.dispose({ disposeSequence: false });
      return tokens / s;
    };
    const body = { messages: [{ role: "user", content: "Write about the NixOS module system." }], max_tokens: genTokens, temperature: 1 };
    const http = async () => {
      const t = performance.now();
      const r = await (await postJson(`${svc.url}/v1/chat/completions`, body)).json();
      return r.usage.completion_tokens / ((performance.now() - t) / 1000);
    };
    const stream = async () => {
      const t = performance.now();
      const r = await postJson(`${svc.url}/v1/chat/completions`, { ...body, stream: true, stream_options: { include_usage: true } });
      const text = await r.text();
      const usage = JSON.parse(text.split("\n\n").filter((b) => b.includes('"usage"')).at(-1)!.slice(6)).usage;
      return usage.completion_tokens / ((performance.now() - t) / 1000);
    };
    await direct();
    await http();
    const d: number[] = [];
    const h: number[] = [];
    const st: number[] = [];
    for (let i = 0; i < rounds; i++) {
      d.push(await direct());
      h.push(await http());
      st.push(await stream());
    }
    await context.dispose();
    await model.dispose();
    const [md, mh, ms] = [median(d), median(h), median(st)];
    results.push({ name: "Generation, in-process node-llama-cpp", value: md, unit: "tokens/s", detail: `median of ${rounds}, ${genTokens} tokens` });
    results.push({ name: "Generation, HTTP non-stream / in-process", value: mh / md, unit: "ratio", target: "≥ 0.95", pass: mh / md >= 0.95, detail: `${mh.toFixed(0)} vs ${md.toFixed(0)} tokens/s` });
    results.push({ name: "Generation, HTTP stream / in-process", value: ms / md, unit: "ratio", target: "≥ 0.95", pass: ms / md >= 0.95, detail: `${ms.toFixed(0)} vs ${md.toFixed(0)} tokens/s` });

    // 2. Four concurrent requests against the same four one after another.
    log("generation: 4 concurrent vs 4 sequential");
    results.push(await concurrency(svc, "bench", rounds, concurrentTokens));
    await svc.stop();
    // The same on the tiny model, where per-token overhead, not arithmetic,
    // dominates: this shows what batching sequences buys when it can.
    const tinySvc = await startService(aqBin, ["--chat-model", tiny, "--sequences", "4", "--threads", String(threads)]);
    results.push(await concurrency(tinySvc, "tiny", rounds, concurrentTokens));
    await tinySvc.stop();
  }

  // 3. Embeddings: 256 concurrent single-text requests, batching on vs off.
  {
    log(`embeddings: batching on vs off, ${burstSize} at once`);
    const common = ["--chat-model", tiny, "--embed-model", bench, "--context-size", "512", "--threads", String(threads)];
    const on = await startService(aqBin, common);
    const off = await startService(aqBin, common, { AI_INFERENCE_EMBEDDING_BATCHING: "false" });
    const burst = async (svc: ServiceProcess) => {
      const t = performance.now();
      await Promise.all(
        Array.from({ length: burstSize }, async (_, i) => {
          const r = await postJson(`${svc.url}/v1/embeddings`, { input: `document ${i} about flakes, modules and derivations` });
          if (r.status !== 200) throw new Error(`embeddings: ${r.status}`);
          await r.arrayBuffer();
        }),
      );
      return burstSize / ((performance.now() - t) / 1000);
    };
    await burst(on);
    await burst(off);
    const onRates: number[] = [];
    const offRates: number[] = [];
    for (let i = 0; i < Math.min(rounds, 3); i++) {
      onRates.push(await burst(on));
      offRates.push(await burst(off));
    }
    const [mon, moff] = [median(onRates), median(offRates)];
    results.push({
      name: `Embeddings, ${burstSize} concurrent, batching on / off`,
      value: mon / moff,
      unit: "×",
      target: "≥ 2",
      pass: mon / moff >= 2,
      detail: `${mon.toFixed(0)} vs ${moff.toFixed(0)} texts/s (bench preset as embedding model)`,
    });
    await Promise.all([on.stop(), off.stop()]);
  }

  // 4 and 5. Idle memory with the tiny model, and time from start to ready.
  {
    log("idle memory and start-up");
    const rss: number[] = [];
    const readyTiny: number[] = [];
    const readyBench: number[] = [];
    for (let i = 0; i < startups; i++) {
      const svc = await startService(aqBin, ["--chat-model", tiny]);
      readyTiny.push(svc.readyMs);
      await new Promise((r) => setTimeout(r, 1500));
      rss.push(rssBytes(svc.pid));
      await svc.stop();
      const big = await startService(aqBin, ["--chat-model", bench]);
      readyBench.push(big.readyMs);
      await big.stop();
    }
    const mb = median(rss) / 1024 / 1024;
    results.push({ name: "Idle resident memory, tiny model", value: mb, unit: "MB", target: "≤ 150", pass: mb <= 150, detail: `VmRSS 1.5 s after ready, median of ${startups}` });
    results.push({ name: "Start to ready, tiny model", value: median(readyTiny) / 1000, unit: "s", detail: `process spawn until /ready is 200, median of ${startups}` });
    results.push({ name: "Start to ready, bench model", value: median(readyBench) / 1000, unit: "s", detail: `process spawn until /ready is 200, median of ${startups}` });
  }

  const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, default threads ${threads}`;
  return { results, machine };
}
