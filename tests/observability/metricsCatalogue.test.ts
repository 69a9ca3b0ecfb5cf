import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAq } from "../helpers/spawnAq.js";
import { hasRedisServer, startRedis, type RedisServer } from "../helpers/startRedis.js";
import { ingest, post, startCoordinatorStack, type CoordinatorStack } from "../coordinator/helpers/startCoordinatorStack.js";

const CATALOGUE = resolve(import.meta.dirname, "../../docs/metrics.md");
const SERVICES = ["inference", "aidb", "coordinator"] as const;
const GPU_SECTION = "GPU textfile (aq gpu-metrics)";
const DEFAULT_SECTION = "process/default metrics";
/** Labels that are not the metric's own: the registry's default label and the histogram bucket bound. */
const IMPLICIT_LABELS = new Set(["service", "le", "quantile"]);

interface Entry {
  type: string;
  labels: string[];
}

interface Catalogue {
  sections: Map<string, Map<string, Entry>>;
  /** The process/default group, by name prefix. */
  prefixes: string[];
}

/** Reads docs/metrics.md: a `## section` heading, then a table whose first column is a name in backticks. */
function readCatalogue(): Catalogue {
  const sections = new Map<string, Map<string, Entry>>();
  const prefixes: string[] = [];
  let section: string | undefined;
  for (const line of readFileSync(CATALOGUE, "utf8").split("\n")) {
    const heading = /^## (.+)$/.exec(line);
    if (heading) {
      section = heading[1].trim();
      expect(sections.has(section), `section "${section}" appears twice`).toBe(false);
      sections.set(section, new Map());
      continue;
    }
    const cells = /^\|(.*)\|\s*$/.exec(line)?.[1].split("|").map((c) => c.trim());
    if (!cells || !section) continue;
    const name = /^`([a-zA-Z_:][a-zA-Z0-9_:]*)`$/.exec(cells[0])?.[1];
    if (!name) continue; // header and separator rows
    if (section === DEFAULT_SECTION) {
      prefixes.push(name);
      continue;
    }
    expect(cells.length, `row for ${name} in "${section}" has name, type, labels, meaning`).toBe(4);
    const [, type, labelCell, meaning] = cells;
    expect(["counter", "gauge", "histogram", "summary"], `type of ${name} in "${section}"`).toContain(type);
    expect(meaning.length, `meaning of ${name} in "${section}"`).toBeGreaterThan(0);
    const labels = labelCell === "" ? [] : labelCell.split(",").map((l) => /^`([a-zA-Z_][a-zA-Z0-9_]*)`$/.exec(l.trim())?.[1] ?? `BAD LABEL CELL: ${l}`);
    const entries = sections.get(section)!;
    expect(entries.has(name), `${name} listed twice in "${section}"`).toBe(false);
    entries.set(name, { type, labels: labels.sort() });
  }
  return { sections, prefixes };
}

interface Exposition {
  /** Base name -> type, from the `# TYPE` lines. */
  types: Map<string, string>;
  /** Base name -> the label-name sets of its series (implicit labels removed), as sorted comma-joined strings. */
  labelSets: Map<string, Set<string>>;
  /** Every value of the `service` label seen. */
  serviceLabels: Set<string | undefined>;
}

/** Parses Prometheus text: `# TYPE` gives base names; `_bucket`/`_sum`/`_count` series belong to their histogram. */
function parseExposition(text: string, source: string): Exposition {
  const types = new Map<string, string>();
  const labelSets = new Map<string, Set<string>>();
  const serviceLabels = new Set<string | undefined>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ")) continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      expect(types.has(type[1]), `${source}: # TYPE ${type[1]} twice`).toBe(false);
      types.set(type[1], type[2]);
      continue;
    }
    expect(line.startsWith("#"), `${source}: unexpected comment: ${line}`).toBe(false);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+( \d+)?$/.exec(line);
    expect(sample, `${source}: not a sample line: ${line}`).not.toBeNull();
    const [, name, labelText = ""] = sample!;
    let base = name;
    if (!types.has(name)) {
      const m = /^(.*)_(bucket|sum|count)$/.exec(name);
      base = m && ["histogram", "summary"].includes(types.get(m[1]) ?? "") ? m[1] : name;
    }
    expect(types.has(base), `${source}: series ${name} has no # TYPE line`).toBe(true);
    const labels = new Map<string, string>();
    for (const l of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels.set(l[1], l[2]);
    serviceLabels.add(labels.get("service"));
    const own = [...labels.keys()].filter((k) => !IMPLICIT_LABELS.has(k)).sort().join(",");
    if (!labelSets.has(base)) labelSets.set(base, new Set());
    labelSets.get(base)!.add(own);
  }
  return { types, labelSets, serviceLabels };
}

const isDefault = (catalogue: Catalogue, name: string) => catalogue.prefixes.some((p) => name.startsWith(p));

/**
 * Compares what a source exports with its catalogue section both ways: every
 * exported metric is listed with the same type, every listed one is exported,
 * and each series carries exactly the documented labels.
 */
function compare(catalogue: Catalogue, section: string, exported: Exposition, opts: { allowDefaults: boolean }) {
  const listed = catalogue.sections.get(section)!;
  const names = [...exported.types.keys()].filter((n) => !(opts.allowDefaults && isDefault(catalogue, n)));
  const missing = names.filter((n) => !listed.has(n)).sort();
  expect(missing, `"${section}" exports metrics that docs/metrics.md does not list`).toEqual([]);
  const notExported = [...listed.keys()].filter((n) => !exported.types.has(n)).sort();
  expect(notExported, `docs/metrics.md lists metrics in "${section}" that it does not export`).toEqual([]);
  for (const name of names) {
    expect(`${name} ${exported.types.get(name)}`, `type of ${name} in "${section}"`).toBe(`${name} ${listed.get(name)!.type}`);
    for (const set of exported.labelSets.get(name) ?? []) {
      expect(`${name}{${set}}`, `labels of ${name} in "${section}"`).toBe(`${name}{${listed.get(name)!.labels.join(",")}}`);
    }
  }
}

function merge(a: Exposition, b: Exposition): Exposition {
  const types = new Map(a.types);
  for (const [n, t] of b.types) {
    expect(types.get(n) ?? t, `${n}: the same type on both instances`).toBe(t);
    types.set(n, t);
  }
  const labelSets = new Map([...a.labelSets].map(([n, s]) => [n, new Set(s)]));
  for (const [n, s] of b.labelSets) for (const x of s) (labelSets.get(n) ?? labelSets.set(n, new Set()).get(n)!).add(x);
  return { types, labelSets, serviceLabels: new Set([...a.serviceLabels, ...b.serviceLabels]) };
}

const catalogue = readCatalogue();

describe("docs/metrics.md", () => {
  it("has a table per service, the GPU textfile and the process/default group", () => {
    for (const s of [...SERVICES, GPU_SECTION]) expect(catalogue.sections.get(s)?.size ?? 0, `section "${s}"`).toBeGreaterThan(0);
    expect(catalogue.prefixes.sort()).toEqual(["nodejs_", "process_"]);
    for (const [section, entries] of catalogue.sections) {
      for (const name of entries.keys()) expect(isDefault(catalogue, name), `${name} in "${section}" uses a default-metrics prefix`).toBe(false);
    }
  });
});

const skip = !hasRedisServer();
if (skip) console.warn("metricsCatalogue.test.ts: the service comparison is skipped, redis-server is not installed (apt-get install redis-server)");

describe.skipIf(skip)("every metric the services export is in docs/metrics.md, and only those", () => {
  let redis: RedisServer;
  let s: CoordinatorStack;
  const scraped = new Map<string, Exposition>();

  beforeAll(async () => {
    redis = await startRedis();
    s = await startCoordinatorStack({ remote: true, rerank: true, redisUrl: redis.url, aidb: { redisUrl: redis.url }, routing: { local_confidence_threshold: 0 } });
    const ok = (what: string, r: { status: number; body: unknown }) => expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(200);
    // Exercise every path once so labelled series exist.
    await ingest(s.aidb.url, [
      { project: "nix", title: "Flakes", text: "Flake inputs are pinned in flake.lock; nix flake update refreshes the lock file." },
      { project: "nix", title: "GC", text: "nix-collect-garbage deletes unreachable store paths from the Nix store." },
    ]);
    ok("query", await post(`${s.url}/query`, { query: "how are flake inputs pinned?", project: "nix" }));
    const streamed = await fetch(`${s.url}/query`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "what deletes store paths?", project: "nix", stream: true }) });
    expect(streamed.status).toBe(200);
    await streamed.text();
    ok("front door", await post(`${s.url}/v1/chat/completions`, { messages: [{ role: "user", content: "how do I collect garbage?" }], project: "nix" }));
    ok("front door, remote", await post(`${s.url}/v1/chat/completions`, { messages: [{ role: "user", content: "hello" }], force_remote: true }));
    ok("embeddings", await post(`${s.local.url}/v1/embeddings`, { input: ["the nix store", "a flake input"] }));
    ok("rerank", await post(`${s.local.url}/v1/rerank`, { query: "flake inputs", documents: ["flake.lock pins inputs", "garbage collection"] }));
    const search = await fetch(`${s.aidb.url}/search?q=${encodeURIComponent("flake lock")}&project=nix`);
    expect(search.status).toBe(200);
    await search.text();

    const sources = { "local inference": s.local.url, "remote inference": s.remote!.url, aidb: s.aidb.url, coordinator: s.url };
    for (const [source, url] of Object.entries(sources)) {
      const r = await fetch(`${url}/metrics`);
      expect(r.status, `${source} /metrics`).toBe(200);
      scraped.set(source, parseExposition(await r.text(), source));
    }
  }, 180_000);
  afterAll(async () => {
    await s?.close();
    await redis?.stop();
  });

  it("inference (the local instance with chat, embeddings and rerank; the remote with chat only)", () => {
    compare(catalogue, "inference", merge(scraped.get("local inference")!, scraped.get("remote inference")!), { allowDefaults: true });
  });

  it("aidb (with Redis)", () => {
    compare(catalogue, "aidb", scraped.get("aidb")!, { allowDefaults: true });
  });

  it("coordinator (with Redis)", () => {
    compare(catalogue, "coordinator", scraped.get("coordinator")!, { allowDefaults: true });
  });

  it("each service exports the process/default group and labels every series with its service", () => {
    const expected: Record<string, string> = { "local inference": "inference", "remote inference": "inference", aidb: "aidb", coordinator: "coordinator" };
    for (const [source, exported] of scraped) {
      for (const prefix of catalogue.prefixes) expect([...exported.types.keys()].some((n) => n.startsWith(prefix)), `${source} exports ${prefix}*`).toBe(true);
      expect([...exported.serviceLabels], `${source}: service label`).toEqual([expected[source]]);
    }
  });

  it("the exercise produced labelled series for the main labelled metrics", () => {
    // Guards the exercise itself: without samples the label check above proves nothing.
    const seen = (source: string, name: string) => (scraped.get(source)!.labelSets.get(name)?.size ?? 0) > 0;
    for (const name of ["llama_request_duration_seconds", "llama_model_load_seconds", "http_request_duration_seconds"]) expect(seen("local inference", name), name).toBe(true);
    for (const name of ["aidb_ingested_documents_total", "aidb_search_duration_seconds"]) expect(seen("aidb", name), name).toBe(true);
    for (const name of ["coordinator_stage_seconds", "coordinator_requests_total", "hybrid_llm_backend_selections_total", "routing_backend_latency_seconds", "semantic_cache_misses_total"]) {
      expect(seen("coordinator", name), name).toBe(true);
    }
  });
});

describe("GPU textfile (aq gpu-metrics) matches its section", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "gpu-catalogue-"));
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("an AMD card and an NVIDIA GPU with every value give exactly the listed metrics", async () => {
    const put = (path: string, content: string) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    };
    const dev = join(root, "sys", "class", "drm", "card0", "device");
    put(join(dev, "vendor"), "0x1002\n");
    put(join(dev, "uevent"), "PCI_SLOT_NAME=0000:03:00.0\n");
    put(join(dev, "gpu_busy_percent"), "5\n");
    put(join(dev, "mem_info_vram_used"), "1024\n");
    put(join(dev, "mem_info_vram_total"), "2048\n");
    put(join(dev, "hwmon", "hwmon0", "temp1_input"), "40000\n");
    put(join(dev, "hwmon", "hwmon0", "power1_average"), "10000000\n");
    const smi = join(root, "bin", "nvidia-smi");
    put(smi, "#!/bin/sh\necho '0, NVIDIA Test GPU, 10, 100, 1000, 50, 70.5'\n");
    chmodSync(smi, 0o755);
    const out = join(root, "out");
    mkdirSync(out);
    const r = await runAq(["gpu-metrics", "--once", "--textfile-dir", out, "--sysfs-root", join(root, "sys"), "--nvidia-smi", smi]);
    expect(r.code, r.stderr).toBe(0);
    const exported = parseExposition(readFileSync(join(out, "ai_stack_gpu.prom"), "utf8"), "gpu textfile");
    compare(catalogue, GPU_SECTION, exported, { allowDefaults: false });
    // No service label here: node-exporter's job labels these series.
    expect([...exported.serviceLabels]).toEqual([undefined]);
  });
});
