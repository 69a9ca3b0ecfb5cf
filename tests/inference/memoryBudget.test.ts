import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { getLlamaBackend } from "../../services/inference/getLlamaBackend.js";
import { MemoryBudgetError } from "../../services/inference/memory/MemoryBudgetError.js";
import { planChatMemory, runtimeOverheadBytes, type ChatPlanInput } from "../../services/inference/memory/planMemory.js";
import { readCgroupMemoryLimit, resolveMemoryLimit } from "../../services/inference/memory/readMemoryLimit.js";
import { runAq } from "../helpers/spawnAq.js";
import { startInferenceApp, type RunningInference } from "../helpers/startInferenceApp.js";

const MiB = 1024 * 1024;

describe("the memory limit: the setting, else the cgroup's", () => {
  const root = mkdtempSync(join(tmpdir(), "cgroup-"));
  const fake = (name: string, cgroup: string, files: Record<string, string>) => {
    const dir = join(root, name);
    mkdirSync(join(dir, "proc/self"), { recursive: true });
    writeFileSync(join(dir, "proc/self/cgroup"), cgroup);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  };

  it("reads cgroup v2 memory.max of the process's cgroup, and 'max' is no limit", () => {
    const v2 = fake("v2", "0::/system.slice/ai-inference.service\n", { "sys/fs/cgroup/system.slice/ai-inference.service/memory.max": "1073741824\n" });
    expect(readCgroupMemoryLimit(v2)).toEqual({ bytes: 1073741824, source: join(v2, "sys/fs/cgroup/system.slice/ai-inference.service/memory.max") });
    const unlimited = fake("v2max", "0::/user.slice\n", { "sys/fs/cgroup/user.slice/memory.max": "max\n" });
    expect(readCgroupMemoryLimit(unlimited)).toBeNull();
  });

  it("reads cgroup v1 memory.limit_in_bytes of the memory controller, and its 'unlimited' number is no limit", () => {
    const v1 = fake("v1", "12:cpu,cpuacct:/x\n9:memory:/system.slice/ai-inference.service\n", {
      "sys/fs/cgroup/memory/system.slice/ai-inference.service/memory.limit_in_bytes": "536870912\n",
    });
    expect(readCgroupMemoryLimit(v1)?.bytes).toBe(536870912);
    const unlimited = fake("v1max", "9:memory:/\n", { "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n" });
    expect(readCgroupMemoryLimit(unlimited)).toBeNull();
  });

  it("is null without a cgroup file, and the setting wins over the cgroup", () => {
    expect(readCgroupMemoryLimit(join(root, "nothing"))).toBeNull();
    const v2 = fake("v2b", "0::/a\n", { "sys/fs/cgroup/a/memory.max": "1000\n" });
    expect(resolveMemoryLimit(5000, v2)).toEqual({ bytes: 5000, source: "the memoryLimitBytes setting" });
    expect(resolveMemoryLimit(undefined, v2)?.bytes).toBe(1000);
  });
});

describe("planChatMemory: node-llama-cpp's estimate against the limit (bench model: 8 layers, 4 KV heads of 64, 4096 trained)", () => {
  const plan = async (over: Partial<ChatPlanInput>) => {
    const { llama } = await getLlamaBackend(1, { gpu: "off" });
    return planChatMemory({
      llama,
      modelPath: inject("models").chatBig,
      contextSize: 4096,
      sequences: 2,
      batchSize: 512,
      kvCacheType: "f16",
      gpuLayers: "auto",
      limit: null,
      otherBytes: 0,
      ...over,
    });
  };

  it("counts the KV cache for contextSize x sequences: 2048 x 2 costs what 4096 x 1 does, and twice 2048 x 1's KV", async () => {
    const a = await plan({ contextSize: 2048, sequences: 2 });
    const b = await plan({ contextSize: 4096, sequences: 1 });
    const c = await plan({ contextSize: 2048, sequences: 1 });
    expect(a.estimate.context).toBe(b.estimate.context);
    // 2 (K and V) x 8 layers x 4 KV heads x 64 x 2 bytes (f16) = 8 KiB per token.
    expect(a.estimate.context - c.estimate.context).toBe(2048 * 8192);
  });

  it("almost halves the KV cache with kvCacheType q8_0 (34 bytes per 32 values instead of 64)", async () => {
    const f16 = await plan({ kvCacheType: "f16" });
    const q8 = await plan({ kvCacheType: "q8_0" });
    const kvF16 = 4096 * 2 * 8192;
    const saved = kvF16 - (kvF16 * 34) / 64;
    // The compute buffers grow by a little for the conversion to q8_0 (1 MiB here).
    expect(f16.estimate.context - q8.estimate.context).toBeGreaterThan(saved * 0.95);
    expect(f16.estimate.context - q8.estimate.context).toBeLessThanOrEqual(saved);
  });

  it("refuses a context that does not fit, naming the numbers and the knobs", async () => {
    const err = await plan({ limit: { bytes: 340 * MiB, source: "the test" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MemoryBudgetError);
    const message = (err as Error).message;
    expect(message).toMatch(/does not fit in the memory limit of 340 MiB/);
    expect(message).toMatch(/runtime 184 .* \+ weights \d+ \(0 of 9 layers on the GPU\) \+ context \d+ \(contextSize 4096 x sequences 2, batchSize 512, kvCacheType f16/);
    expect(message).toMatch(/The largest context that fits is \d+ tokens per sequence\. Lower contextSize or sequences, set kvCacheType = "q8_0"/);
  });

  it('picks the largest context that fits with "auto": a multiple of 256, and the next one up does not fit', async () => {
    const limit = { bytes: 340 * MiB, source: "the test" };
    const auto = await plan({ contextSize: "auto", limit });
    expect(auto.contextSize % 256).toBe(0);
    expect(auto.contextSize).toBeGreaterThan(256);
    expect(auto.contextSize).toBeLessThan(4096);
    expect(auto.estimate.total).toBeLessThanOrEqual(limit.bytes);
    expect(auto.estimate.runtime).toBe(runtimeOverheadBytes);
    await expect(plan({ contextSize: auto.contextSize + 256, limit })).rejects.toBeInstanceOf(MemoryBudgetError);
    // q8_0 fits more tokens in the same limit.
    expect((await plan({ contextSize: "auto", limit, kvCacheType: "q8_0" })).contextSize).toBeGreaterThan(auto.contextSize);
  });
});

describe("llama.cpp gives each sequence its own contextSize (the native context is contextSize x sequences)", () => {
  it("fills two sequences of a 512-token context with 480 tokens each", async () => {
    const { llama } = await getLlamaBackend(1, { gpu: "off" });
    const model = await llama.loadModel({ modelPath: inject("models").chat });
    const context = await model.createContext({ contextSize: 512, sequences: 2, threads: 1 });
    try {
      expect(context.contextSize).toBe(512);
      const tokens = model.tokenize("the quick brown fox jumps over the lazy dog ".repeat(60)).slice(0, 480);
      expect(tokens).toHaveLength(480);
      const [a, b] = [context.getSequence(), context.getSequence()];
      await a.evaluateWithoutGeneratingNewTokens(tokens);
      await b.evaluateWithoutGeneratingNewTokens(tokens);
      // No context shift erased anything: both hold all 480 tokens, 960 in all, past one 512-token context.
      expect([a.nextTokenIndex, b.nextTokenIndex]).toEqual([480, 480]);
      expect([a.contextTokens.length, b.contextTokens.length]).toEqual([480, 480]);
    } finally {
      await context.dispose();
      await model.dispose();
    }
  });
});

describe("the inference service fits its chat context to the memory limit", () => {
  const running: RunningInference[] = [];
  afterAll(async () => {
    for (const r of running) await r.close();
  });

  it('with contextSize "auto" takes the largest context that fits, logs it, and reports it in /status and the metrics', async () => {
    const limit = 340 * MiB;
    const r = await startInferenceApp({ chatModel: inject("models").chatBig, contextSize: "auto", sequences: 2, memoryLimitBytes: limit, gpu: "off" });
    running.push(r);
    const status = await (await fetch(`${r.url}/status`)).json();
    expect(status.healthy).toBe(true);
    expect(status.context_size).toBeGreaterThan(256);
    expect(status.context_size).toBeLessThan(4096);
    expect(status.memory).toMatchObject({ limit_bytes: limit, limit_source: "the memoryLimitBytes setting", context_size_requested: "auto", kv_cache_type: "f16" });
    expect(status.memory.estimate_bytes.total).toBeLessThanOrEqual(limit);
    const line = r.logs.lines().find((l) => l.event === "context_auto");
    expect(line).toMatchObject({ context_size: status.context_size, sequences: 2, limit_mib: 340, level: "info" });
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^llama_context_size_tokens(\\{[^}]*\\})? ${status.context_size}$`, "m"));
    expect(metrics).toMatch(new RegExp(`^llama_memory_limit_bytes(\\{[^}]*\\})? ${limit}$`, "m"));
    expect(metrics).toMatch(/^llama_memory_estimate_bytes\{[^}]*part="context"[^}]*\} \d+/m);
  });

  it("serves the configured context when it fits, with the kvCacheType asked for", async () => {
    const r = await startInferenceApp({ chatModel: inject("models").chatBig, contextSize: 1024, sequences: 2, kvCacheType: "q8_0", memoryLimitBytes: 1024 * MiB, gpu: "off" });
    running.push(r);
    const status = await (await fetch(`${r.url}/status`)).json();
    expect(status.context_size).toBe(1024);
    expect(status.memory.kv_cache_type).toBe("q8_0");
    const answer = await fetch(`${r.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 8 }),
    });
    expect(answer.status).toBe(200);
  });

  it("aq serve inference exits with code 2 and the numbers when the context cannot fit, and when nothing fits with auto", async () => {
    const args = ["serve", "inference", "--chat-model", inject("models").chatBig, "--port", "0", "--threads", "1", "--sequences", "2", "--gpu", "off"];
    const fixed = await runAq([...args, "--context-size", "4096", "--memory-limit-bytes", String(340 * MiB)]);
    expect(fixed.code).toBe(2);
    expect(fixed.stderr).toMatch(/does not fit in the memory limit of 340 MiB \(\d+ bytes, from the memoryLimitBytes setting\): it needs \d+ MiB/);
    expect(fixed.stderr).toMatch(/The largest context that fits is \d+ tokens per sequence/);
    const none = await runAq([...args, "--context-size", "auto", "--memory-limit-bytes", String(250 * MiB)]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/does not fit in the memory limit of 250 MiB.*No context fits/);
  });
});
