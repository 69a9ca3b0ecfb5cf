import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import modelsJson from "../../lib/models.json" with { type: "json" };
import ports from "../../lib/ports.json" with { type: "json" };
import { aiLib, evalHost, evalToplevel, nixEval, nixMissing, nixpkgsLibMissing, repoRoot, type HostEval, type Toplevel } from "./nixEval.js";

const missing = nixMissing ?? nixpkgsLibMissing;
if (missing) console.warn(`tests/nix/memoryBudget: skipped: ${missing}`);

const hostDirs = readdirSync(join(repoRoot, "hosts")).filter((n) => statSync(join(repoRoot, "hosts", n)).isDirectory());

/** A bootable host: the stack with these facts and more `services.ai-stack` settings, plus other options. */
const host = (facts: string, extra = "", options = "") =>
  `({ lib, ... }: { nixpkgs.hostPlatform = "x86_64-linux"; fileSystems."/".device = "/dev/sda1"; boot.loader.grub.devices = [ "/dev/sda" ]; services.ai-stack = { enable = true; facts = { ${facts} }; ${extra} }; ${options} })`;
const allowNvidia = `nixpkgs.config.allowUnfreePredicate = pkg: builtins.elem (lib.getName pkg) [ "nvidia-x11" ];`;

describe.skipIf(nixMissing !== null)("lib/memory-budget.nix: what a unit needs", () => {
  it("reads every model's architecture facts from lib/models.json", () => {
    for (const m of modelsJson.models) {
      expect(m.architecture.layers, m.id).toBeGreaterThan(0);
      expect(m.architecture.head_count % m.architecture.head_count_kv, m.id).toBe(0);
      expect(m.architecture.source, m.id).toMatch(/config\.json/);
    }
  });

  it("counts the KV cache as contextSize x sequences x (2 x layers x KV heads x head size x bytes), encoders included", () => {
    const ctx = (model: string, contextSize: number, sequences: number, kv = "f16") =>
      nixEval<{ kvMiB: number; cells: number; contextSize: number }>(
        `${aiLib}.contextMemory { model = "${model}"; contextSize = ${contextSize}; sequences = ${sequences}; kvCacheType = "${kv}"; }`,
      );
    // The figure: Qwen2.5-14B at 32768 x 8, f16: 48 GiB.
    expect(ctx("qwen2.5-14b-q4_k_m", 32768, 8).kvMiB).toBe(48 * 1024);
    expect(ctx("qwen2.5-14b-q4_k_m", 32768, 8, "q8_0").kvMiB).toBe(48 * 1024 * (34 / 64));
    // Rounded up to 256 tokens, as node-llama-cpp does; capped at the trained context.
    expect(ctx("qwen2.5-0.5b-q8_0", 1000, 1).contextSize).toBe(1024);
    // An encoder too, as node-llama-cpp's estimate counts it: 2048 x 2 x 12 layers x 12 heads x 64 x 2 bytes.
    expect(ctx("nomic-embed-text-v1.5-q8_0", 8192, 1)).toMatchObject({ contextSize: 2048, kvMiB: 72 });
  });

  it("gives a host a failing budget and a clear reason when its units do not fit", () => {
    const b = nixEval<{ fits: boolean; totalMiB: number; availableMiB: number; osReserveMiB: number; describe: string }>(
      `${aiLib}.memoryBudget { tier = "micro"; systemRamGb = 4; model = "qwen2.5-1.5b-q8_0"; embeddingModel = "nomic-embed-text-v1.5-q8_0"; rerankModel = "qwen3-reranker-0.6b-q8_0"; }`,
    );
    expect(b.fits).toBe(false);
    expect(b.availableMiB).toBe(4 * 1024 - b.osReserveMiB);
    expect(b.totalMiB).toBeGreaterThan(b.availableMiB);
    expect(b.describe).toMatch(/ai-inference \d+ MiB \(runtime 120 \+ JS heap 64 \+ weights of qwen2\.5-1\.5b-q8_0 1807 \+ KV cache \(4096 tokens x 2 sequences x 28672 bytes at f16\) 224 \+ compute buffers \(batch 256\) 158\)/);
  });

  it("offloads what fits the VRAM with gpuLayers auto, keeping the rest in RAM", () => {
    const split = (vramGb: number) =>
      nixEval<{ vram: { gpuLayers: number; totalLayers: number; needMiB: number; fits: boolean }; ram: number }>(
        `let b = ${aiLib}.memoryBudget { tier = "large"; systemRamGb = 64; vramGb = ${vramGb}; gpu = "cuda"; }; in { inherit (b) vram; ram = b.units.ai-inference.needMiB; }`,
      );
    const big = split(24);
    expect(big.vram).toMatchObject({ gpuLayers: 49, totalLayers: 49, fits: true });
    const small = split(8);
    expect(small.vram.gpuLayers).toBeGreaterThan(0);
    expect(small.vram.gpuLayers).toBeLessThan(49);
    expect(small.vram.needMiB).toBeLessThanOrEqual(8 * 1024);
    expect(small.ram).toBeGreaterThan(big.ram);
  });
});

describe.skipIf(missing !== null)("the memory budget on the example hosts", () => {
  let hosts: Record<string, HostEval>;
  let toplevels: Record<string, Toplevel>;
  beforeAll(() => {
    hosts = Object.fromEntries(hostDirs.map((h) => [h, evalHost(`./hosts/${h}`)]));
    toplevels = Object.fromEntries(hostDirs.map((h) => [h, evalToplevel(`./hosts/${h}`)]));
  });

  it("fits every example host: the units' needs plus PostgreSQL, Redis and monitoring within RAM less the OS reserve", () => {
    for (const h of hostDirs) {
      const b = hosts[h]!.memoryBudget;
      expect(b.fits, `${h}: ${b.describe}`).toBe(true);
      expect(b.totalMiB, h).toBeLessThanOrEqual(b.availableMiB);
      expect(b.vram.fits, h).toBe(true);
    }
  });

  it("renders MemoryHigh, MemoryMax and the V8 heap (NODE_OPTIONS) of every unit from the budget", () => {
    for (const h of hostDirs) {
      const b = hosts[h]!.memoryBudget;
      for (const [unit, u] of Object.entries(b.units)) {
        const text = toplevels[h]!.units[`${unit}.service`];
        expect(text, `${h} ${unit}`).toBeDefined();
        expect(text, `${h} ${unit}`).toContain(`MemoryHigh=${u.memoryHigh}\n`);
        expect(text, `${h} ${unit}`).toContain(`MemoryMax=${u.memoryMax}\n`);
        expect(text, `${h} ${unit}`).toContain(`Environment="NODE_OPTIONS=--max-old-space-size=${u.heapMiB}"`);
      }
    }
    // nano: the Node services get 60% of their 192M cap as heap; the model unit 64 MiB.
    const nano = toplevels["sbc-nano"]!.units;
    expect(nano["ai-coordinator.service"]).toContain(`Environment="NODE_OPTIONS=--max-old-space-size=115"`);
    expect(nano["ai-coordinator.service"]).toMatch(/MemoryMax=192M\n/);
    expect(nano["ai-inference.service"]).toContain(`Environment="NODE_OPTIONS=--max-old-space-size=64"`);
  });

  it("serves embeddings from ai-inference on nano (one llama.cpp runtime in 2 GB), and from ai-embeddings elsewhere", () => {
    const nano = hosts["sbc-nano"]!;
    expect(Object.keys(toplevels["sbc-nano"]!.units)).not.toContain("ai-embeddings.service");
    expect(nano.settings.inference).toMatchObject({ embedModel: expect.stringMatching(/nomic-embed-text-v1\.5\.Q8_0\.gguf$/), embedContextSize: 512, embedContexts: 1 });
    expect(nano.settings.aidb.embeddingsUrl).toBe(`http://127.0.0.1:${ports.inferenceChat}`);
    expect(nano.settings.coordinator.embeddingsUrl).toBe(`http://127.0.0.1:${ports.inferenceChat}`);
    const pi5 = hosts.pi5!;
    expect(pi5.settings.embeddings).toMatchObject({ contextSize: 1024, embedContexts: 1, gpu: "off" });
    expect(pi5.settings.aidb.embeddingsUrl).toBe(`http://127.0.0.1:${ports.inferenceEmbed}`);
  });

  it("fails evaluation when the budget does not fit, naming the numbers and the knobs", () => {
    const r = evalHost(host("systemRamGb = 8;", `settings.inference = { contextSize = 32768; sequences = 8; };`));
    expect(r.failedAssertions).toHaveLength(1);
    const [message] = r.failedAssertions as [string];
    expect(message).toMatch(/the memory budget does not fit this host: the units and services need \d+ MiB, but services\.ai-stack\.facts\.systemRamGb = 8 leaves 7808 MiB after 384 MiB for the OS/);
    expect(message).toMatch(/ai-inference \d+ MiB \(runtime 120 \+ JS heap 64 \+ weights of qwen2\.5-\S+ \d+ \+ KV cache \(32768 tokens x 8 sequences x \d+ bytes at f16\)/);
    expect(message).toMatch(/lower services\.ai-stack\.settings\.inference\.contextSize \(now 32768\) or services\.ai-stack\.settings\.inference\.sequences \(now 8\), set services\.ai-stack\.settings\.inference\.kvCacheType = "q8_0" \(now f16\)/);
    expect(message).toMatch(/choose a smaller services\.ai-stack\.model/);
    // Two sequences with the KV cache at q8_0 fit the same host.
    expect(evalHost(host("systemRamGb = 8;", `settings.inference = { contextSize = 32768; sequences = 2; kvCacheType = "q8_0"; };`)).failedAssertions).toEqual([]);
  });

  it("fails evaluation when the layers set by hand do not fit the VRAM, and fits them with gpuLayers auto", () => {
    const gpuHost = (extra: string) => host(`systemRamGb = 64; gpuVendor = "nvidia"; hasDiscreteGpu = true; vramGb = 8;`, extra, allowNvidia);
    const r = evalHost(gpuHost(`settings.inference.gpuLayers = 49;`));
    expect(r.failedAssertions).toEqual([
      expect.stringMatching(/the chat model's offloaded part needs \d+ MiB of VRAM \(49 of 49 layers .*\), but services\.ai-stack\.facts\.vramGb = 8 gives 8192 MiB\. Set services\.ai-stack\.settings\.inference\.gpuLayers = "auto"/),
    ]);
    const auto = evalHost(gpuHost(""));
    expect(auto.failedAssertions).toEqual([]);
    expect(auto.memoryBudget.vram.gpuLayers).toBeLessThan(49);
  });
});

describe.skipIf(missing !== null)("GPU settings rendered from the facts", () => {
  it("NVIDIA: the driver (videoDrivers, open module, libraries in /run/opengl-driver), the device nodes, gpu auto with a GPU expected", () => {
    const h = evalHost(host(`systemRamGb = 64; gpuVendor = "nvidia"; hasDiscreteGpu = true; vramGb = 24;`, "", allowNvidia));
    expect(h.failedAssertions).toEqual([]);
    expect(h.videoDrivers).toEqual(["nvidia"]);
    expect(h.nvidiaOpen).toBe(true);
    expect(h.graphics).toBe(true);
    expect(h.graphicsPackages).toContain("nvidia-x11");
    expect(h.settings.inference).toMatchObject({ gpu: "auto", gpuExpected: true });
    expect(h.settings.embeddings).toMatchObject({ gpu: "off" });
    expect(h.units["ai-inference"]?.serviceConfig).toMatchObject({
      PrivateDevices: false,
      DeviceAllow: ["/dev/nvidia0 rw", "/dev/nvidiactl rw", "/dev/nvidia-uvm rw", "/dev/nvidia-uvm-tools rw"],
      SupplementaryGroups: expect.arrayContaining(["render", "video"]),
    });
    expect(h.units["ai-inference"]?.environment.LD_LIBRARY_PATH).toBe("/run/opengl-driver/lib");
    expect(h.packageArgs).toMatchObject({ keepGpuBinaries: true });
  });

  it("NVIDIA with gpu.cudaLibraries: their lib directories follow the driver's on the loader path", () => {
    const h = evalHost(host(`systemRamGb = 64; gpuVendor = "nvidia"; vramGb = 24;`, `gpu.cudaLibraries = [ pkgs.mesa ];`, allowNvidia).replace("{ lib, ... }", "{ lib, pkgs, ... }"));
    expect(h.units["ai-inference"]?.environment.LD_LIBRARY_PATH).toMatch(/^\/run\/opengl-driver\/lib:\/nix\/store\/\S+-mesa-[^/]+\/lib$/);
  });

  it("NVIDIA's driver is unfree: without the host accepting its licence, evaluation refuses it", () => {
    expect(() => evalToplevel(host(`systemRamGb = 64; gpuVendor = "nvidia"; vramGb = 24;`))).toThrow(/nvidia-x11.*unfree license/s);
  });

  it("AMD (the ThinkPad's iGPU): Vulkan through Mesa, the DRM render nodes, no NVIDIA driver", () => {
    const h = evalHost(host(`systemRamGb = 27; gpuVendor = "amd"; vramGb = 4;`));
    expect(h.failedAssertions).toEqual([]);
    expect(h.settings.inference).toMatchObject({ gpu: "vulkan", gpuExpected: true });
    expect(h.graphics).toBe(true);
    expect(h.videoDrivers).not.toContain("nvidia");
    expect(h.graphicsPackages).toEqual([]);
    expect(h.units["ai-inference"]?.serviceConfig).toMatchObject({ PrivateDevices: false, DeviceAllow: ["char-drm rw"] });
    expect(h.units["ai-inference"]?.environment.LD_LIBRARY_PATH).toBe("/run/opengl-driver/lib");
  });

  it("none (or a vendor without vramGb): the CPU, no device nodes, no driver, no GPU binaries", () => {
    for (const facts of [`systemRamGb = 16; gpuVendor = "none";`, `systemRamGb = 16; gpuVendor = "intel";`]) {
      const h = evalHost(host(facts));
      expect(h.failedAssertions, facts).toEqual([]);
      expect(h.settings.inference, facts).toMatchObject({ gpu: "off", gpuExpected: false });
      expect(h.graphics, facts).toBe(false);
      expect(h.units["ai-inference"]?.serviceConfig.PrivateDevices, facts).toBe(true);
      expect(h.units["ai-inference"]?.serviceConfig.DeviceAllow, facts).toBeUndefined();
      expect(h.units["ai-inference"]?.environment.LD_LIBRARY_PATH, facts).toBeUndefined();
      expect(h.packageArgs, facts).toMatchObject({ keepGpuBinaries: false });
    }
  });

  it("renders the host's memory bandwidth for the tokens/s ceiling, in bytes per second", () => {
    const h = evalHost(host(`systemRamGb = 16; memoryBandwidthGBs = 51.2;`));
    expect(h.settings.inference.memoryBandwidthBytesPerSecond).toBe(51_200_000_000);
    expect(evalHost(host(`systemRamGb = 16;`)).settings.inference.memoryBandwidthBytesPerSecond).toBeUndefined();
  });
});
