import { getLlamaGpuTypes } from "node-llama-cpp";
import { afterAll, describe, expect, it } from "vitest";
import { getLlamaBackend } from "../../services/inference/getLlamaBackend.js";
import { GpuUnavailableError } from "../../services/inference/GpuUnavailableError.js";
import { startInferenceApp, type RunningInference } from "../helpers/startInferenceApp.js";

/**
 * The GPU settings on this machine as it is. Where no GPU backend loads
 * (the CI machines: CPU only), "cuda" and "vulkan" exercise the fallback;
 * on a machine with a GPU those cases are skipped, since there they load.
 */
const supported = await getLlamaGpuTypes("supported");
const noGpu = !supported.some((t) => t !== false);
if (!noGpu) console.warn(`tests/inference/gpuBackend: a GPU backend loads here (${supported.join(", ")}); the fallback cases are skipped`);

describe("getLlamaBackend: which llama.cpp backend runs", () => {
  it('gpu "off" runs the CPU build, no fallback', async () => {
    const b = await getLlamaBackend(1, { gpu: "off" });
    expect(b).toMatchObject({ requested: "off", backend: "cpu", fallback: null });
    expect(b.llama.gpu).toBe(false);
  });

  it.skipIf(!noGpu)('gpu "auto" on a machine without a GPU is the CPU, and no fallback unless a GPU was expected', async () => {
    expect(await getLlamaBackend(1, { gpu: "auto" })).toMatchObject({ requested: "auto", backend: "cpu", fallback: null });
    const expected = await getLlamaBackend(1, { gpu: "auto", gpuExpected: true });
    expect(expected.backend).toBe("cpu");
    expect(expected.fallback?.reason).toMatch(/gpuExpected/);
  });

  it.skipIf(!noGpu).each(["cuda", "vulkan"] as const)('gpu "%s" that does not load falls back to the CPU and says why', async (gpu) => {
    const b = await getLlamaBackend(1, { gpu });
    expect(b).toMatchObject({ requested: gpu, backend: "cpu" });
    expect(b.llama.gpu).toBe(false);
    expect(b.fallback?.reason).toContain(`the ${gpu} build of llama.cpp did not load`);
  });

  it.skipIf(!noGpu)('gpuFallback "exit" turns the fallback into GpuUnavailableError (exit code 2)', async () => {
    const err = await getLlamaBackend(1, { gpu: "cuda", gpuFallback: "exit" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuUnavailableError);
    expect((err as GpuUnavailableError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/gpu "cuda" is not available.*gpuFallback = "cpu"/);
  });
});

describe("the inference service reports its backend in /status and the metrics", () => {
  const running: RunningInference[] = [];
  afterAll(async () => {
    for (const r of running) await r.close();
  });

  const metricValue = (text: string, line: RegExp) => {
    const found = text.split("\n").find((l) => line.test(l));
    return found === undefined ? undefined : Number(found.split(" ").at(-1));
  };

  it("runs on the CPU with gpu auto: backend, layers, VRAM in /status and the metrics", async () => {
    const r = await startInferenceApp({ gpu: "auto" });
    running.push(r);
    const status = await (await fetch(`${r.url}/status`)).json();
    expect(status.gpu).toEqual({
      backend: noGpu ? "cpu" : expect.any(String),
      requested: "auto",
      fallback: false,
      fallback_reason: null,
      layers_offloaded: noGpu ? 0 : expect.any(Number),
      total_layers: 3, // the tiny model: 2 blocks + the output layer
      vram_used_bytes: noGpu ? 0 : expect.any(Number),
      vram_total_bytes: noGpu ? 0 : expect.any(Number),
    });
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    if (noGpu) expect(metricValue(metrics, /^llama_gpu_backend_info\{.*backend="cpu".*requested="auto"/)).toBe(1);
    expect(metricValue(metrics, /^llama_gpu_layers_offloaded\b/)).toEqual(noGpu ? 0 : expect.any(Number));
    expect(metricValue(metrics, /^llama_model_layers\b/)).toBe(3);
    expect(metricValue(metrics, /^llama_vram_used_bytes\b/)).toBeGreaterThanOrEqual(0);
    expect(metricValue(metrics, /^llama_gpu_fallbacks_total\b/)).toBeUndefined();
    expect(r.logs.lines().find((l) => l.event === "llama_backend")).toMatchObject({ requested: "auto" });
  });

  it.skipIf(!noGpu)('falls back loudly when gpu "cuda" cannot load: an error-level gpu_fallback line, a count, /status says so, and it still serves', async () => {
    const r = await startInferenceApp({ gpu: "cuda" });
    running.push(r);
    const status = await (await fetch(`${r.url}/status`)).json();
    expect(status.gpu).toMatchObject({ backend: "cpu", requested: "cuda", fallback: true, layers_offloaded: 0 });
    expect(status.gpu.fallback_reason).toContain("cuda");
    const line = r.logs.lines().find((l) => l.event === "gpu_fallback");
    expect(line).toMatchObject({ level: "error", requested: "cuda", backend: "cpu" });
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    expect(metricValue(metrics, /^llama_gpu_fallbacks_total\{.*requested="cuda"/)).toBe(1);
    expect(metricValue(metrics, /^llama_gpu_backend_info\{.*backend="cpu".*requested="cuda"/)).toBe(1);
    const answer = await fetch(`${r.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 4 }),
    });
    expect(answer.status).toBe(200);
  });
});
