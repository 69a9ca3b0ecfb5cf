import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAmdGpus } from "../../services/gpu/readAmdGpus.js";
import { parseNvidiaSmiCsv } from "../../services/gpu/readNvidiaGpus.js";
import { runAq, spawnAq } from "../helpers/spawnAq.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict enough reading of the Prometheus text format for these files. */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  expect(text.endsWith("\n")).toBe(true);
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split("\n")) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1], type[2]);
      continue;
    }
    if (line.startsWith("# HELP ")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(m, `not a sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    const labelText = m![2] ?? "";
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let consumed = 0;
    for (let l = re.exec(labelText); l; l = re.exec(labelText)) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
      consumed = re.lastIndex;
    }
    expect(consumed, `bad labels in: ${line}`).toBe(labelText.length);
    const value = Number(m![3]);
    expect(Number.isFinite(value), `bad value in: ${line}`).toBe(true);
    expect(types.has(m![1]), `sample before its # TYPE: ${line}`).toBe(true);
    samples.push({ name: m![1], labels, value });
  }
  return { types, samples };
}

function promtoolCheck(text: string): void {
  const probe = spawnSync("promtool", ["--version"], { stdio: "ignore" });
  if (probe.status !== 0) {
    console.log("promtool is not on PATH: skipping `promtool check metrics` (the built-in parser still checked the file)");
    return;
  }
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  expect(r.status, `promtool check metrics: ${r.stdout}${r.stderr}`).toBe(0);
}

const write = (path: string, content: string) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
};

let root: string;
let sysfs: string;
/** A PATH without nvidia-smi. */
let emptyBin: string;
const TEXTFILE = "ai_stack_gpu.prom";

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "gpu-metrics-test-"));
  sysfs = join(root, "sys");
  emptyBin = join(root, "empty-bin");
  mkdirSync(emptyBin);
  const drm = join(sysfs, "class", "drm");
  // card0: AMD with everything, power from power1_average, PCI address in uevent.
  const c0 = join(drm, "card0", "device");
  write(join(c0, "vendor"), "0x1002\n");
  write(join(c0, "uevent"), "DRIVER=amdgpu\nPCI_CLASS=30000\nPCI_SLOT_NAME=0000:03:00.0\n");
  write(join(c0, "gpu_busy_percent"), "37\n");
  write(join(c0, "mem_info_vram_used"), "1073741824\n");
  write(join(c0, "mem_info_vram_total"), "17163091968\n");
  write(join(c0, "hwmon", "hwmon4", "temp1_input"), "45500\n");
  write(join(c0, "hwmon", "hwmon4", "power1_average"), "23500000\n");
  write(join(c0, "hwmon", "hwmon4", "power1_input"), "99000000\n");
  // A connector entry, not a card.
  write(join(drm, "card0-DP-1", "status"), "connected\n");
  // card1: AMD, hwmon without power, no uevent, an unparsable busy file (a read error).
  const c1 = join(drm, "card1", "device");
  write(join(c1, "vendor"), "0x1002\n");
  write(join(c1, "gpu_busy_percent"), "busy\n");
  write(join(c1, "mem_info_vram_used"), "536870912\n");
  write(join(c1, "mem_info_vram_total"), "4294967296\n");
  write(join(c1, "hwmon", "hwmon7", "temp1_input"), "61000\n");
  // card2: an Intel iGPU with the same files: ignored.
  const c2 = join(drm, "card2", "device");
  write(join(c2, "vendor"), "0x8086\n");
  write(join(c2, "gpu_busy_percent"), "99\n");
  write(join(c2, "mem_info_vram_total"), "1\n");
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

function outDir(name: string): string {
  const d = join(root, name);
  mkdirSync(d);
  return d;
}

/** A fake nvidia-smi: a real shell script that checks its arguments and prints fixed CSV. */
function fakeNvidiaSmi(dir: string, body: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "nvidia-smi");
  const query = "--query-gpu=index,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw";
  writeFileSync(
    path,
    `#!/bin/sh\n[ "$1" = "${query}" ] && [ "$2" = "--format=csv,noheader,nounits" ] && [ "$#" -eq 2 ] || { echo "unexpected arguments: $*" >&2; exit 64; }\n${body}\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

const find = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

describe("aq gpu-metrics", () => {
  it("--once writes the AMD cards from sysfs in base units, skipping missing values and other vendors", async () => {
    const out = outDir("amd");
    const r = await runAq(["gpu-metrics", "--once", "--textfile-dir", out, "--sysfs-root", sysfs], { PATH: emptyBin });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out)).toEqual([TEXTFILE]);
    const text = readFileSync(join(out, TEXTFILE), "utf8");
    const { types, samples } = parseExposition(text);
    promtoolCheck(text);

    const value = (name: string, card: string) => {
      const found = find(samples, name, { card });
      expect(found.length, `${name}{card="${card}"} appears at most once`).toBeLessThanOrEqual(1);
      return found[0]?.value;
    };
    // card0: bytes as given, °C from millidegrees, W from microwatts (power1_average wins over power1_input).
    expect(value("amdgpu_gpu_busy_percent", "card0")).toBe(37);
    expect(value("amdgpu_memory_used_bytes", "card0")).toBe(1073741824);
    expect(value("amdgpu_memory_total_bytes", "card0")).toBe(17163091968);
    expect(value("amdgpu_temperature_celsius", "card0")).toBe(45.5);
    expect(value("amdgpu_power_watts", "card0")).toBe(23.5);
    expect(find(samples, "amdgpu_power_watts", { card: "card0" })[0].labels).toEqual({ card: "card0", pci: "0000:03:00.0" });
    // card1: no power file, an unparsable busy file, no uevent (pci="" keeps the label set).
    expect(value("amdgpu_power_watts", "card1")).toBeUndefined();
    expect(value("amdgpu_gpu_busy_percent", "card1")).toBeUndefined();
    expect(value("amdgpu_memory_used_bytes", "card1")).toBe(536870912);
    expect(value("amdgpu_memory_total_bytes", "card1")).toBe(4294967296);
    expect(value("amdgpu_temperature_celsius", "card1")).toBe(61);
    expect(find(samples, "amdgpu_temperature_celsius", { card: "card1" })[0].labels).toEqual({ card: "card1", pci: "" });
    // card2 (Intel) and the connector entry are not there.
    expect(samples.filter((s) => s.labels.card !== undefined && s.labels.card !== "card0" && s.labels.card !== "card1")).toEqual([]);
    // The unparsable file is one read error, reported on stderr; no nvidia-smi on PATH is none.
    expect(find(samples, "ai_stack_gpu_scrape_errors", { source: "amdgpu" })[0].value).toBe(1);
    expect(find(samples, "ai_stack_gpu_scrape_errors", { source: "nvidia" })[0].value).toBe(0);
    expect(r.stderr).toContain("gpu_busy_percent");
    expect(samples.some((s) => s.name.startsWith("nvidia_"))).toBe(false);
    for (const name of new Set(samples.map((s) => s.name))) expect(types.get(name)).toBe("gauge");
  });

  it("reads NVIDIA GPUs through nvidia-smi found on PATH, MiB as bytes, [N/A] left out", async () => {
    const bin = join(root, "nvidia-bin");
    fakeNvidiaSmi(bin, `printf '0, NVIDIA GeForce RTX 4090, 42, 2048, 24564, 55, 123.45\\n1, NVIDIA A100-SXM4-40GB, [N/A], 0, 40960, 30, [N/A]\\n'`);
    const emptySys = join(root, "empty-sys");
    mkdirSync(emptySys);
    const out = outDir("nvidia");
    const r = await runAq(["gpu-metrics", "--once", "--textfile-dir", out, "--sysfs-root", emptySys], { PATH: bin });
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(join(out, TEXTFILE), "utf8");
    const { samples } = parseExposition(text);
    promtoolCheck(text);
    const g0 = { gpu: "0", name: "NVIDIA GeForce RTX 4090" };
    const g1 = { gpu: "1", name: "NVIDIA A100-SXM4-40GB" };
    const value = (name: string, labels: Record<string, string>) => find(samples, name, labels)[0]?.value;
    expect(value("nvidia_gpu_utilization_percent", g0)).toBe(42);
    expect(value("nvidia_gpu_memory_used_bytes", g0)).toBe(2048 * 1048576);
    expect(value("nvidia_gpu_memory_total_bytes", g0)).toBe(24564 * 1048576);
    expect(value("nvidia_gpu_temperature_celsius", g0)).toBe(55);
    expect(value("nvidia_gpu_power_watts", g0)).toBe(123.45);
    expect(value("nvidia_gpu_utilization_percent", g1)).toBeUndefined();
    expect(value("nvidia_gpu_power_watts", g1)).toBeUndefined();
    expect(value("nvidia_gpu_memory_used_bytes", g1)).toBe(0);
    expect(value("nvidia_gpu_memory_total_bytes", g1)).toBe(40960 * 1048576);
    expect(value("nvidia_gpu_temperature_celsius", g1)).toBe(30);
    expect(find(samples, "nvidia_gpu_temperature_celsius", {}).map((s) => s.labels)).toEqual([g0, g1]);
    expect(value("ai_stack_gpu_scrape_errors", { source: "nvidia" })).toBe(0);
    expect(value("ai_stack_gpu_scrape_errors", { source: "amdgpu" })).toBe(0);
    expect(samples.some((s) => s.name.startsWith("amdgpu_"))).toBe(false);
  });

  it("--nvidia-smi PATH: a failing nvidia-smi is a scrape error, not a crash", async () => {
    const smi = fakeNvidiaSmi(join(root, "failing-bin"), `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver." ; exit 9`);
    const out = outDir("nvidia-failing");
    const r = await runAq(["gpu-metrics", "--once", "--textfile-dir", out, "--sysfs-root", sysfs, "--nvidia-smi", smi], { PATH: emptyBin });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("couldn't communicate with the NVIDIA driver");
    const { samples } = parseExposition(readFileSync(join(out, TEXTFILE), "utf8"));
    expect(find(samples, "ai_stack_gpu_scrape_errors", { source: "nvidia" })[0].value).toBe(1);
    expect(samples.some((s) => s.name.startsWith("nvidia_gpu_"))).toBe(false);
    // The AMD cards are still there.
    expect(find(samples, "amdgpu_memory_total_bytes", {}).length).toBe(2);
  });

  it("replaces the file by rename: a new inode each write, no temporary file left, never a partial file", async () => {
    const out = outDir("atomic");
    const target = join(out, TEXTFILE);
    const args = ["gpu-metrics", "--textfile-dir", out, "--sysfs-root", sysfs];
    expect((await runAq([...args, "--once"], { PATH: emptyBin })).code).toBe(0);
    const first = statSync(target).ino;
    expect((await runAq([...args, "--once"], { PATH: emptyBin })).code).toBe(0);
    const second = statSync(target).ino;
    expect(second).not.toBe(first);
    expect(readdirSync(out)).toEqual([TEXTFILE]);

    // The loop: read the file as fast as possible across several rewrites;
    // every read must be a whole file (it ends with the last error gauge line).
    const p = spawnAq([...args, "--interval", "1"], { PATH: emptyBin });
    const inodes = new Set<number>([second]);
    const deadline = Date.now() + 3500;
    let reads = 0;
    while (Date.now() < deadline) {
      const text = readFileSync(target, "utf8");
      expect(text.endsWith('ai_stack_gpu_scrape_errors{source="nvidia"} 0\n'), `partial read: ${JSON.stringify(text.slice(-80))}`).toBe(true);
      inodes.add(statSync(target).ino);
      for (const name of readdirSync(out)) if (name !== TEXTFILE) expect(name.endsWith(".prom")).toBe(false);
      reads++;
      await new Promise((r) => setTimeout(r, 2));
    }
    // The first write comes at once, then one per second: at least 3 new files.
    expect(inodes.size, `inodes seen in ${reads} reads`).toBeGreaterThanOrEqual(4);
    expect(p.child.exitCode).toBeNull();
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toContain("every 1 s");
    expect(readdirSync(out)).toEqual([TEXTFILE]);
  });

  it("SIGINT also stops the loop with exit 0", async () => {
    const out = outDir("sigint");
    const p = spawnAq(["gpu-metrics", "--textfile-dir", out, "--sysfs-root", sysfs], { PATH: emptyBin });
    const deadline = Date.now() + 10_000;
    while (!readdirSync(out).includes(TEXTFILE) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(out)).toContain(TEXTFILE);
    p.child.kill("SIGINT");
    expect(await p.exited).toBe(0);
  });

  it.each([
    ["no --textfile-dir", [], "--textfile-dir"],
    ["a --textfile-dir that does not exist", ["--textfile-dir", "@missing"], "--textfile-dir"],
    ["a --sysfs-root that does not exist", ["--textfile-dir", "@out", "--sysfs-root", "@missing"], "--sysfs-root"],
    ["a --interval that is not a number", ["--textfile-dir", "@out", "--interval", "soon"], "--interval"],
    ["a --interval of 0", ["--textfile-dir", "@out", "--interval", "0"], "--interval"],
    ["--interval with --once", ["--textfile-dir", "@out", "--once", "--interval", "5"], "--interval"],
    ["a --nvidia-smi that does not exist", ["--textfile-dir", "@out", "--once", "--nvidia-smi", "@missing"], "--nvidia-smi"],
    ["an unknown flag", ["--textfile-dir", "@out", "--once", "--bogus"], "--bogus"],
    ["a positional argument", ["--textfile-dir", "@out", "--once", "extra"], "extra"],
  ])("%s: exit 2 naming it, nothing written", async (_name, args, named) => {
    const out = mkdtempSync(join(root, "bad-"));
    const resolved = args.map((a) => (a === "@out" ? out : a === "@missing" ? join(root, "no-such-path") : a));
    const r = await runAq(["gpu-metrics", ...resolved], { PATH: emptyBin });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(named);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe("GPU readers", () => {
  it("readAmdGpus falls back to power1_input and takes the first hwmon directory", async () => {
    const sys = join(root, "sys-power-input");
    const dev = join(sys, "class", "drm", "card3", "device");
    write(join(dev, "vendor"), "0x1002\n");
    write(join(dev, "hwmon", "hwmon2", "power1_input"), "150250000\n");
    write(join(dev, "hwmon", "hwmon10", "power1_input"), "1\n");
    const r = await readAmdGpus(sys);
    expect(r).toEqual({ gpus: [{ card: "card3", powerWatts: 150.25 }], errors: 0, messages: [] });
  });

  it("readAmdGpus: no DRM directory is no GPUs and no error", async () => {
    expect(await readAmdGpus(join(root, "nothing-here"))).toEqual({ gpus: [], errors: 0, messages: [] });
  });

  it("parseNvidiaSmiCsv keeps a comma in a product name and counts a bad line as an error", () => {
    const r = parseNvidiaSmiCsv("0, Odd, Name, 5, 1, 2, 3, [Not Supported]\nnot csv at all\n2, X, 1, 2, 3, hot, 4\n");
    expect(r.gpus).toEqual([
      { gpu: "0", name: "Odd, Name", utilizationPercent: 5, memoryUsedBytes: 1048576, memoryTotalBytes: 2097152, temperatureCelsius: 3 },
      { gpu: "2", name: "X", utilizationPercent: 1, memoryUsedBytes: 2097152, memoryTotalBytes: 3145728, powerWatts: 4 },
    ]);
    expect(r.errors).toBe(2);
  });
});
