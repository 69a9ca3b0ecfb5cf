// A small HTTP load generator for the benchmarks, run as its own process so
// that the client's work is not counted inside the server under test:
//
//   node bench/loadgen.mjs '<json options>'
//
// Options: url, method (POST), body (a string; every "{{n}}" becomes a
// request number unique within the run, prefixed by `nonce`, and every
// "{{words}}" six words drawn from `words` by a generator seeded with that
// number, so that questions differ in meaning, not in a digit), connections
// (concurrent loops on one keep-alive agent), durationMs and/or requests
// (whichever ends first; at least one), warmupMs (requests sent but not
// counted), raw (also return every answer's `timings`). Prints one JSON object: requests, errors, statuses, elapsed_s,
// rps, latency_ms {p50,p95,p99,mean,max}, and from JSON answers: overhead_ms
// (total_ms - retrieve_ms - rerank_ms - generate_ms of `timings`, as p50/p95/
// p99 and the raw values, over answers that are not cache hits;
// timings_mean_ms per stage of those), hit_overhead_ms (the same over cache
// hits), cache_hits,
// completion_tokens, tokens_per_s.
import http from "node:http";

const opts = JSON.parse(process.argv[2] ?? "{}");
const url = new URL(opts.url);
const method = opts.method ?? "POST";
const connections = opts.connections ?? 1;
const durationMs = opts.durationMs ?? Infinity;
const maxRequests = opts.requests ?? Infinity;
const warmupMs = opts.warmupMs ?? 0;
const nonce = opts.nonce ?? String(process.pid);
if (durationMs === Infinity && maxRequests === Infinity) throw new Error("loadgen: give durationMs or requests");

/** Six words from opts.words, drawn by a small generator seeded with the key. */
function words(key) {
  let h = 2166136261;
  for (const c of key) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const list = opts.words ?? ["a"];
  return Array.from({ length: 6 }, () => {
    h = (Math.imul(h, 1103515245) + 12345) >>> 0;
    return list[(h >>> 8) % list.length];
  }).join(" ");
}

const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
let seq = 0;

function once(counted) {
  const n = seq++;
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body.replaceAll("{{n}}", `${nonce}-${n}`).replaceAll("{{words}}", () => words(`${nonce}-${n}`)));
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      {
        agent,
        method,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: { ...(body && { "content-type": "application/json", "content-length": body.length }), ...opts.headers },
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ counted, status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6, text: Buffer.concat(chunks).toString("utf8"), routing: res.headers["x-ai-stack-routing"] }),
        );
        res.on("error", (err) => resolve({ counted, status: 0, ms: 0, text: String(err) }));
      },
    );
    req.on("error", (err) => resolve({ counted, status: 0, ms: 0, text: String(err) }));
    req.end(body);
  });
}

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);
const round = (x) => (x === null ? null : Math.round(x * 1000) / 1000);
const summary = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : null;
  return { p50: round(pct(s, 50)), p95: round(pct(s, 95)), p99: round(pct(s, 99)), mean: round(mean), max: round(s.at(-1) ?? null) };
};

const latencies = [];
const overheads = [];
const hitOverheads = [];
const raw = [];
const statuses = {};
let errors = 0;
let cacheHits = 0;
let completionTokens = 0;
let counted = 0;
let firstError;
const timingSums = {};

const warmupEnd = performance.now() + warmupMs;
let start = 0;
let deadline = Infinity;
const measuring = () => performance.now() >= warmupEnd;

async function loop() {
  for (;;) {
    const inWarmup = !measuring();
    if (!inWarmup) {
      if (!start) {
        start = performance.now();
        deadline = start + durationMs;
      }
      if (performance.now() >= deadline || counted >= maxRequests) return;
      counted++;
    }
    const r = await once(!inWarmup);
    if (!r.counted) continue;
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status !== 200) {
      errors++;
      firstError ??= `${r.status}: ${r.text.slice(0, 300)}`;
      continue;
    }
    latencies.push(r.ms);
    if (r.text.startsWith("{")) {
      try {
        const j = JSON.parse(r.text);
        const t = j.timings;
        if (j.cache?.hit === true && t && typeof t.total_ms === "number") {
          hitOverheads.push(t.total_ms - (t.retrieve_ms ?? 0) - (t.rerank_ms ?? 0) - (t.generate_ms ?? 0));
        } else if (t && typeof t.total_ms === "number") {
          overheads.push(t.total_ms - (t.retrieve_ms ?? 0) - (t.rerank_ms ?? 0) - (t.generate_ms ?? 0));
          for (const [k, v] of Object.entries(t)) if (typeof v === "number") timingSums[k] = (timingSums[k] ?? 0) + v;
        }
        // /query says so in the body, the front door in its routing header.
        if (j.cache?.hit === true || /"cache":\{"hit":true/.test(r.routing ?? "")) cacheHits++;
        if (opts.raw && t) raw.push(t);
        if (typeof j.usage?.completion_tokens === "number") completionTokens += j.usage.completion_tokens;
      } catch {
        // not JSON: counted by status only
      }
    }
  }
}

await Promise.all(Array.from({ length: connections }, loop));
const elapsed = (performance.now() - start) / 1000;
agent.destroy();
process.stdout.write(
  JSON.stringify({
    connections,
    requests: counted,
    ok: latencies.length,
    errors,
    first_error: firstError,
    statuses,
    elapsed_s: round(elapsed),
    rps: round(latencies.length / elapsed),
    latency_ms: summary(latencies),
    overhead_ms: { ...summary(overheads), values: overheads.map(round) },
    hit_overhead_ms: summary(hitOverheads),
    timings_mean_ms: Object.fromEntries(Object.entries(timingSums).map(([k, v]) => [k, round(v / overheads.length)])),
    cache_hits: cacheHits,
    completion_tokens: completionTokens,
    tokens_per_s: round(completionTokens / elapsed),
    ...(opts.raw && { raw_timings: raw }),
  }) + "\n",
);
