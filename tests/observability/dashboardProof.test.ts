import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync, statSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runAq } from "../helpers/spawnAq.js";
import { freePort, startRedis, type RedisServer } from "../helpers/startRedis.js";

/**
 * The Grafana dashboard (nix/monitoring/dashboards/ai-stack-overview.json),
 * checked as JSON and proven against a real Prometheus: every panel target's
 * PromQL, with Grafana's variables substituted, must parse and return data
 * after real traffic through a real stack (`aq up` with synthetic models, a
 * second inference instance as the remote, Redis, node-exporter reading the
 * `aq gpu-metrics` textfile written from a fake sysfs and a fake nvidia-smi).
 */

const dashboardFile = resolve(import.meta.dirname, "../../nix/monitoring/dashboards/ai-stack-overview.json");

interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  templating?: { list: unknown[] };
  panels: Panel[];
}

const dashboard = JSON.parse(readFileSync(dashboardFile, "utf8")) as Dashboard;

/**
 * Grafana fills these in before it sends a query; Prometheus' HTTP API knows
 * none of them. `$__rate_interval` is what the panels use; with the test's 1 s
 * scrape interval Grafana would pick a few seconds, 1m keeps every request of
 * the test inside the window. The dashboard has no template variables of its
 * own (checked below), so nothing else needs substituting.
 */
const grafanaVariables: Record<string, string> = {
  $__rate_interval: "1m",
  $__interval: "15s",
  $__range: "5m",
};

function toPromQL(expr: string): string {
  let out = expr;
  for (const [name, value] of Object.entries(grafanaVariables)) {
    out = out.split(`\${${name.slice(1)}}`).join(value).split(name).join(value);
  }
  return out;
}

/** The subjects the dashboard must cover: a panel title and the metrics its targets must use. */
const subjects: { subject: string; title: RegExp; metrics: string[] }[] = [
  { subject: "tokens/sec", title: /tokens per second/i, metrics: ["llama_tokens_generated_total"] },
  { subject: "GPU utilisation", title: /GPU utili[sz]ation/i, metrics: ["amdgpu_gpu_busy_percent", "nvidia_gpu_utilization_percent"] },
  { subject: "VRAM", title: /VRAM/, metrics: ["amdgpu_memory_used_bytes", "nvidia_gpu_memory_used_bytes"] },
  { subject: "RAM", title: /\bRAM\b/, metrics: ["node_memory_MemAvailable_bytes", "process_resident_memory_bytes"] },
  { subject: "cache hit rate", title: /cache hit rate/i, metrics: ["embedding_cache_hits_total", "semantic_cache_hits_total"] },
  { subject: "local/remote routing ratio", title: /routing ratio/i, metrics: ["hybrid_route_decisions_total"] },
  { subject: "p95 latency per backend", title: /p95 latency/i, metrics: ["routing_backend_latency_seconds_bucket"] },
  { subject: "queue depth and model loading", title: /queue depth.*model loading/i, metrics: ["llama_queue_depth", "llama_model_loading"] },
  { subject: "request errors per service", title: /errors per service/i, metrics: ["http_request_duration_seconds_count"] },
];

describe("ai-stack-overview dashboard JSON", () => {
  it("is a schemaVersion ~39 dashboard with a uid and a title", () => {
    expect(dashboard.uid).toBe("ai-stack-overview");
    expect(dashboard.title).not.toBe("");
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.schemaVersion).toBeLessThanOrEqual(41);
  });

  it("gives every panel a title, a unique id, the prometheus datasource and at least one target with an expression", () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size, `duplicate panel ids: ${ids.join(", ")}`).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(typeof p.id, `panel ${p.title}`).toBe("number");
      expect(p.title?.trim(), `panel ${p.id} has no title`).toBeTruthy();
      expect(p.datasource?.uid, `panel "${p.title}"`).toBe("prometheus");
      expect(p.targets?.length ?? 0, `panel "${p.title}" has no target`).toBeGreaterThanOrEqual(1);
      const refIds = p.targets!.map((t) => t.refId);
      expect(new Set(refIds).size, `panel "${p.title}" repeats a refId`).toBe(refIds.length);
      for (const t of p.targets!) {
        expect(t.datasource?.uid, `panel "${p.title}" target ${t.refId}`).toBe("prometheus");
        expect(t.expr?.trim(), `panel "${p.title}" target ${t.refId} has no expr`).toBeTruthy();
      }
    }
  });

  it("covers the nine required subjects with real metric names", () => {
    for (const s of subjects) {
      const panel = dashboard.panels.find((p) => s.title.test(p.title));
      expect(panel, `no panel for ${s.subject} (title matching ${s.title})`).toBeDefined();
      const exprs = panel!.targets!.map((t) => t.expr).join("\n");
      for (const m of s.metrics) expect(exprs, `panel "${panel!.title}" should use ${m}`).toContain(m);
    }
  });

  it("uses no template variables beyond the Grafana built-ins the proof substitutes", () => {
    expect(dashboard.templating?.list ?? []).toEqual([]);
    for (const p of dashboard.panels) {
      for (const t of p.targets!) expect(toPromQL(t.expr), `panel "${p.title}" target ${t.refId}`).not.toContain("$");
    }
  });
});

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
const missing = [
  ["prometheus", "Debian package prometheus"],
  ["prometheus-node-exporter", "Debian package prometheus-node-exporter"],
  ["redis-server", "Debian package redis-server"],
]
  .filter(([cmd]) => !has(cmd))
  .map(([cmd, pkg]) => `${cmd} not found (${pkg})`);
if (missing.length) console.warn(`tests/observability/dashboardProof: the proof against Prometheus is skipped: ${missing.join("; ")}`);

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
type Labels = { value: number; [label: string]: string | number };
interface Evaluated {
  panel: string;
  refId: string;
  promql: string;
  status: string;
  error?: string;
  result: Sample[];
}

const exitOf = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once("exit", () => r()));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fake sysfs values for one AMD card, and the fake nvidia-smi's line. */
const amd = { busy: 37, vramUsed: 3 * 1024 ** 3, vramTotal: 16 * 1024 ** 3, milliC: 58000, microW: 95_500_000 };
const nvidiaLine = "0, NVIDIA Fake 9000, 64, 2048, 24576, 61, 123.45";
/** The memory bandwidth the stack's inference is told (51.2 GB/s, a DDR4-3200 laptop's). */
const bandwidth = 51_200_000_000;

describe.skipIf(missing.length > 0)("ai-stack-overview dashboard against a real Prometheus scraping a real stack", () => {
  const children: { name: string; child: ChildProcess; group: boolean; log: string }[] = [];
  let dir: string;
  let redis: RedisServer | undefined;
  let promUrl: string;
  let coordinatorUrl: string;
  let aidbUrl: string;
  let inferenceUrl: string;
  const evaluated: Evaluated[] = [];

  /** Starts a process with its output in DIR/NAME.log; afterAll stops it. */
  const start = (name: string, cmd: string, args: string[], opts: { group?: boolean; env?: NodeJS.ProcessEnv } = {}) => {
    const log = join(dir, `${name}.log`);
    const out = createWriteStream(log);
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], detached: opts.group ?? false, env: { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true", ...opts.env } });
    child.stdout!.pipe(out, { end: false });
    child.stderr!.pipe(out, { end: false });
    child.once("exit", () => out.end());
    children.push({ name, child, group: opts.group ?? false, log });
    return child;
  };
  const logTail = (name: string) => {
    const c = children.find((x) => x.name === name);
    try {
      return c ? readFileSync(c.log, "utf8").trimEnd().split("\n").slice(-20).join("\n") : "";
    } catch {
      return "";
    }
  };
  /** Polls url until it answers 2xx; fails early with the log when the process died. */
  const waitHttp = async (name: string, child: ChildProcess, url: string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}):\n${logTail(name)}`);
      try {
        const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await r.body?.cancel();
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${name} did not answer ${url} within ${timeoutMs} ms:\n${logTail(name)}`);
      await sleep(150);
    }
  };
  const post = async (url: string, body: unknown) => {
    const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json().catch(() => null)) as any };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dashboard-proof-"));
    const models = inject("models");
    const aqBin = inject("aqBin");
    const ports = {
      prometheus: await freePort(),
      node: await freePort(),
      remote: await freePort(),
      coordinator: await freePort(),
      aidb: await freePort(),
      inference: await freePort(),
      embed: await freePort(),
    };
    coordinatorUrl = `http://127.0.0.1:${ports.coordinator}`;
    aidbUrl = `http://127.0.0.1:${ports.aidb}`;
    inferenceUrl = `http://127.0.0.1:${ports.inference}`;
    promUrl = `http://127.0.0.1:${ports.prometheus}`;

    // The GPU textfile: one AMD card in a fake sysfs, one NVIDIA GPU from a fake nvidia-smi.
    const device = join(dir, "sysfs/class/drm/card0/device");
    await mkdir(join(device, "hwmon/hwmon3"), { recursive: true });
    const files: Record<string, string | number> = {
      vendor: "0x1002",
      uevent: "DRIVER=amdgpu\nPCI_SLOT_NAME=0000:03:00.0\n",
      gpu_busy_percent: amd.busy,
      mem_info_vram_used: amd.vramUsed,
      mem_info_vram_total: amd.vramTotal,
      "hwmon/hwmon3/temp1_input": amd.milliC,
      "hwmon/hwmon3/power1_average": amd.microW,
    };
    for (const [f, v] of Object.entries(files)) await writeFile(join(device, f), `${v}\n`);
    const nvidiaSmi = join(dir, "nvidia-smi");
    await writeFile(nvidiaSmi, `#!/bin/sh\necho '${nvidiaLine}'\n`);
    await chmod(nvidiaSmi, 0o755);
    const textfileDir = join(dir, "textfile");
    await mkdir(textfileDir);
    const gpu = await runAq(["gpu-metrics", "--once", "--textfile-dir", textfileDir, "--sysfs-root", join(dir, "sysfs"), "--nvidia-smi", nvidiaSmi]);
    if (gpu.code !== 0) throw new Error(`aq gpu-metrics --once exited ${gpu.code}: ${gpu.stderr}`);

    redis = await startRedis();

    // The stack and the remote stand-in load models meanwhile.
    const remote = start("remote", process.execPath, [aqBin, "serve", "inference", "--chat-model", models.chatShort, "--host", "127.0.0.1", "--port", String(ports.remote)]);
    const up = start(
      "aq-up",
      process.execPath,
      [
        aqBin,
        "up",
        "--data-dir",
        join(dir, "stack"),
        "--chat-model",
        models.chatShort,
        "--embed-model",
        models.embed,
        "--rerank-model",
        models.rerank,
        "--redis-url",
        redis.url,
        "--remote-url",
        `http://127.0.0.1:${ports.remote}/v1`,
        "--coordinator-port",
        String(ports.coordinator),
        "--aidb-port",
        String(ports.aidb),
        "--inference-port",
        String(ports.inference),
        "--embed-port",
        String(ports.embed),
      ],
      // Its own process group: a failed test can still stop every service. The
      // host's memory bandwidth, as NixOS renders facts.memoryBandwidthGBs, for the ceiling panel.
      { group: true, env: { AI_INFERENCE_MEMORY_BANDWIDTH_BYTES_PER_SECOND: String(bandwidth) } },
    );

    // node-exporter with only what the dashboard reads (no collector needing privileges).
    const nodeExporter = start("node-exporter", "prometheus-node-exporter", [
      `--web.listen-address=127.0.0.1:${ports.node}`,
      "--collector.disable-defaults",
      "--collector.meminfo",
      "--collector.textfile",
      `--collector.textfile.directory=${textfileDir}`,
    ]);

    // Jobs named as in nix/modules/monitoring.nix.
    const target = (port: number) => ({ targets: [`127.0.0.1:${port}`] });
    const config = {
      global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
      scrape_configs: [
        { job_name: "ai-inference", static_configs: [target(ports.inference)] },
        { job_name: "ai-embeddings", static_configs: [target(ports.embed)] },
        { job_name: "ai-aidb", static_configs: [target(ports.aidb)] },
        { job_name: "ai-coordinator", static_configs: [target(ports.coordinator)] },
        { job_name: "node", static_configs: [target(ports.node)] },
        { job_name: "prometheus", static_configs: [target(ports.prometheus)] },
      ],
    };
    // JSON is YAML.
    await writeFile(join(dir, "prometheus.yml"), JSON.stringify(config, null, 2));
    const prometheus = start("prometheus", "prometheus", [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${ports.prometheus}`,
      "--log.level=warn",
    ]);

    await waitHttp("node-exporter", nodeExporter, `http://127.0.0.1:${ports.node}/metrics`, 30_000);
    await waitHttp("prometheus", prometheus, `${promUrl}/-/ready`, 30_000);
    await waitHttp("remote", remote, `http://127.0.0.1:${ports.remote}/ready`, 120_000);
    await waitHttp("aq-up", up, `${coordinatorUrl}/ready`, 150_000);
  }, 180_000);

  afterAll(async () => {
    // aq up stops its services on SIGTERM; the process group is killed if it does not.
    await Promise.all(
      children.map(async ({ child, group }) => {
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
        try {
          if (group) process.kill(-child.pid, "SIGTERM");
          else child.kill("SIGTERM");
        } catch {
          // already gone
        }
        const timer = setTimeout(() => {
          try {
            if (group) process.kill(-child.pid!, "SIGKILL");
            else child.kill("SIGKILL");
          } catch {
            // already gone
          }
        }, 20_000);
        await exitOf(child);
        clearTimeout(timer);
      }),
    );
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("returns data for every panel target after real traffic", async () => {
    // An ingest, so retrieval has context and the embedding cache has traffic.
    const doc = "# Nix flakes\n\nNix flakes pin their inputs in flake.lock, so a build is reproducible. Run nix flake update to move the pins.\n";
    const ingest = await post(`${aidbUrl}/documents`, { documents: [{ project: "docs", title: "flakes", text: doc }] });
    expect(ingest.status, JSON.stringify(ingest.body)).toBe(200);

    const query = async (body: Record<string, unknown>) => {
      const r = await post(`${coordinatorUrl}/query`, body);
      expect(r.status, `POST /query ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`).toBe(200);
      return r.body;
    };
    const badRequest = async () => {
      const r = await post(`${coordinatorUrl}/query`, { query: "" });
      expect(r.status).toBe(400);
    };
    const q1 = { query: "how do nix flakes pin their inputs?", project: "docs" };
    // Ten queries in two rounds with scrapes between them: a labelled series
    // (a backend, a cache kind, a status code) appears at its first request,
    // and only the requests after a scrape has seen it count in rate().
    const backends: string[] = [];
    const round1 = [q1, { query: "what does flake.lock hold?", project: "docs", force_local: true }, { query: "why pin inputs at all?", project: "docs", force_remote: true }, q1];
    for (const body of round1) backends.push((await query(body)).backend);
    await badRequest();
    await waitForScrapes(2);
    const round2 = [
      q1, // semantic cache hit again
      { ...q1, project: "notes" }, // another cache scope: a semantic miss, but aidb embeds the same text again (embedding cache hit)
      { query: "how do I update the pins?", project: "docs", force_local: true },
      { query: "is a flake build reproducible?", project: "docs", force_remote: true },
      { query: "where are flake inputs recorded?", project: "docs" },
      { query: "what does flake.lock hold?", project: "docs", force_local: true },
    ];
    for (const body of round2) backends.push((await query(body)).backend);
    await badRequest();
    expect(backends).toHaveLength(10);
    expect(backends).toContain("local");
    expect(backends).toContain("remote");

    // Every target has been scraped at least twice since the last request.
    await waitForScrapes(2);

    for (const p of dashboard.panels) {
      for (const t of p.targets!) {
        const promql = toPromQL(t.expr);
        const r = await fetch(`${promUrl}/api/v1/query?${new URLSearchParams({ query: promql })}`);
        const body = (await r.json()) as { status: string; error?: string; data?: { resultType: string; result: Sample[] } };
        evaluated.push({ panel: p.title, refId: t.refId, promql, status: body.status, error: body.error, result: body.data?.result ?? [] });
      }
    }
    const problems = evaluated.flatMap((e) => {
      const where = `panel "${e.panel}" target ${e.refId}: ${e.promql}`;
      if (e.status !== "success") return [`${where}\n  fails: ${e.error}`];
      if (e.result.length === 0) return [`${where}\n  returns no data`];
      if (e.result.every((s) => Number.isNaN(Number(s.value[1])))) return [`${where}\n  returns only NaN`];
      return [];
    });
    expect(problems, problems.join("\n")).toEqual([]);
  }, 120_000);

  /** The samples of one panel target (by title pattern and refId): its labels and its value as a number. */
  const samples = (title: RegExp, refId: string) => {
    const e = evaluated.find((x) => title.test(x.panel) && x.refId === refId);
    expect(e, `no evaluation for ${title} ${refId} (did the first test fail?)`).toBeDefined();
    return e!.result.map((s) => ({ ...s.metric, value: Number(s.value[1]) }) as Labels);
  };

  it("puts generation against the memory-bandwidth ceiling: bandwidth / the chat model's weights, and the median speed as a fraction of it", async () => {
    const [ceiling] = samples(/memory-bandwidth ceiling/i, "B");
    const metrics = await (await fetch(`${inferenceUrl}/metrics`)).text();
    const weights = Number(/^llama_model_weights_bytes(?:\{[^}]*\})? (\S+)$/m.exec(metrics)?.[1]);
    // The weights node-llama-cpp loads: the tensors of the model file, not its vocabulary and metadata.
    expect(weights).toBeGreaterThan(0);
    expect(weights).toBeLessThanOrEqual(statSync(inject("models").chatShort).size);
    expect(ceiling.job).toBe("ai-inference");
    expect(ceiling.value / (bandwidth / weights)).toBeCloseTo(1, 6);
    const [fraction] = samples(/memory-bandwidth ceiling/i, "A");
    expect(fraction.value).toBeGreaterThan(0);
    expect(fraction.value).toBeLessThan(1);
  });

  it("shows what the traffic did: tokens, both GPUs from the textfile, cache hits, both backends, the 400s", () => {
    expect(samples(/tokens per second/i, "A")[0].value).toBeGreaterThan(0);

    const busy = samples(/GPU utili/i, "A");
    expect(busy.find((s) => s.card === "card0")?.value).toBe(amd.busy);
    expect(busy.find((s) => s.gpu === "0")?.value).toBe(64);
    const vramUsed = samples(/VRAM/, "A");
    expect(vramUsed.find((s) => s.card === "card0")?.value).toBe(amd.vramUsed);
    expect(vramUsed.find((s) => s.gpu === "0")?.value).toBe(2048 * 1024 * 1024);
    expect(samples(/VRAM/, "B").find((s) => s.card === "card0")?.value).toBe(amd.vramTotal);

    expect(samples(/\bRAM\b/, "A")[0].value).toBeGreaterThan(0);
    expect(samples(/\bRAM\b/, "C").map((s) => s.job).sort()).toEqual(["ai-aidb", "ai-coordinator", "ai-embeddings", "ai-inference"]);

    const [embeddingHitRate] = samples(/cache hit rate/i, "A");
    const [semanticHitRate] = samples(/cache hit rate/i, "B");
    expect(embeddingHitRate.value).toBeGreaterThan(0);
    expect(semanticHitRate.value).toBeGreaterThan(0);
    expect(semanticHitRate.value).toBeLessThan(1);

    const ratio = samples(/routing ratio/i, "A");
    expect(ratio.map((s) => s.backend).sort()).toEqual(["local", "remote"]);
    for (const s of ratio) expect(s.value).toBeGreaterThan(0);
    expect(ratio.reduce((a, s) => a + s.value, 0)).toBeCloseTo(1, 6);

    expect(samples(/p95 latency/i, "A").map((s) => s.backend).sort()).toEqual(["local", "remote"]);

    expect(samples(/queue depth/i, "C").map((s) => s.job).sort()).toEqual(["ai-embeddings", "ai-inference"]);

    const errors = samples(/errors per service/i, "A");
    const coordinator400 = errors.find((s) => s.job === "ai-coordinator" && s.status_code === "400");
    expect(coordinator400?.value, JSON.stringify(errors)).toBeGreaterThan(0);
  });

  /** Waits until Prometheus has scraped every target successfully `n` more times. */
  async function waitForScrapes(n: number) {
    type ActiveTarget = { labels: { job: string }; lastScrape: string; health: string; lastError: string };
    const targets = async () => {
      const r = await fetch(`${promUrl}/api/v1/targets?state=active`);
      return ((await r.json()) as { data: { activeTargets: ActiveTarget[] } }).data.activeTargets;
    };
    let since = Date.now();
    for (let i = 0; i < n; i++) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const ts = await targets();
        // A failed scrape (a slow /metrics on a busy machine) does not count: wait for the next.
        if (ts.length === 6 && ts.every((t) => Date.parse(t.lastScrape) > since && t.health === "up")) {
          since = Math.max(...ts.map((t) => Date.parse(t.lastScrape)));
          break;
        }
        if (Date.now() > deadline) {
          const late = ts.filter((t) => !(Date.parse(t.lastScrape) > since && t.health === "up"));
          throw new Error(`Prometheus did not scrape every target successfully within 15 s: ${late.map((t) => `${t.labels.job} (${t.health}${t.lastError ? `: ${t.lastError}` : ""})`).join(", ")}`);
        }
        await sleep(200);
      }
    }
  }
});
