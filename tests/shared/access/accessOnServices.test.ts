import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey, hashApiKey } from "../../../services/shared/access/generateApiKey.js";
import { formatKeyLine } from "../../../services/shared/access/parseKeysFile.js";
import type { Scope } from "../../../services/shared/access/accessScopes.js";
import { startAuditWriter, type AuditWriter } from "../../../services/shared/audit/startAuditWriter.js";
import { captureLogger } from "../../helpers/captureLogger.js";
import { runAq } from "../../helpers/spawnAq.js";
import { hasRedisServer, startRedis, type RedisServer } from "../../helpers/startRedis.js";
import { ingest, startCoordinatorStack, type CoordinatorStack } from "../../coordinator/helpers/startCoordinatorStack.js";

const skip = !hasRedisServer();
if (skip) console.warn("accessOnServices.test.ts: skipped: redis-server is not installed (the rate limits run in Redis)");

const dir = mkdtempSync(join(tmpdir(), "access-"));
const keys: Record<string, string> = {};
const scopesOf: Record<string, Scope[]> = {
  reader: ["query"],
  writer: ["ingest"],
  ops: ["admin"],
  full: ["query", "ingest", "admin"],
  burst: ["query"],
  sdk: ["query"],
  lowrate: ["query"],
  ingester: ["ingest"],
};
for (const name of Object.keys(scopesOf)) keys[name] = generateApiKey();
const keysFile = join(dir, "api-keys");
writeFileSync(keysFile, Object.entries(scopesOf).map(([name, scopes]) => formatKeyLine({ name, scopes, sha256: hashApiKey(keys[name]!) })).join("\n") + "\n");
const internalKeyFile = join(dir, "internal-key");
writeFileSync(internalKeyFile, generateApiKey());
chmodSync(internalKeyFile, 0o600);
const auditFile = join(dir, "audit.jsonl");
const auditSocket = join(dir, "audit.sock");

/** The same limits on every service: their buckets are shared through Redis. */
const limits = { rateLimitWindowMs: 60_000, rateLimitHigh: 10, rateLimitMedium: 4, rateLimitPerKey: 40, ingestDocumentsPerWindow: 5 };
const access = { apiKeysFile: keysFile, internalKeyFile, auditSocket, ...limits };

async function call(url: string, opts: { method?: string; key?: string; header?: "bearer" | "x-api-key"; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  if (opts.key) headers[opts.header === "x-api-key" ? "x-api-key" : "authorization"] = opts.header === "x-api-key" ? opts.key : `Bearer ${opts.key}`;
  const r = await fetch(url, { method: opts.method ?? (opts.body !== undefined ? "POST" : "GET"), headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await r.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: r.status, body, headers: r.headers };
}

describe.skipIf(skip)("API keys, scopes, rate limits and the audit trail on the real services", () => {
  let redis: RedisServer;
  let writer: AuditWriter;
  let s: CoordinatorStack;
  let docIds: string[];

  beforeAll(async () => {
    redis = await startRedis();
    writer = await startAuditWriter({ socket: auditSocket, file: auditFile, logger: captureLogger().logger });
    s = await startCoordinatorStack({
      redisUrl: redis.url,
      routing: { local_confidence_threshold: 0 },
      // Inference keeps its buckets in its process (no Redis): a short window shows the refill.
      local: { ...access, rateLimitLow: 3, rateLimitWindowMs: 1500 },
      // aidb keeps nothing open, not even to loopback: the coordinator's dashboard reads its /metrics with the internal key.
      aidb: { ...access, redisUrl: redis.url, openOnLoopback: "none" },
      coordinator: access,
    });
    // The internal key lets the coordinator's own calls through; this ingest uses a user key.
    const r = await call(`${s.aidb.url}/documents`, {
      key: keys.full,
      body: { documents: [{ project: "nix", title: "Flakes", text: "Flake inputs are pinned in flake.lock; nix flake update refreshes the lock file." }] },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    docIds = r.body.results.map((x: { id: string }) => x.id);
  }, 180_000);
  afterAll(async () => {
    await s?.close();
    await writer?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("has every route of every service in its access table (a missing one would need admin and count as high risk)", () => {
    for (const logs of [s.logs, s.aidb.logs, s.local.logs]) {
      const unmapped = logs.lines().filter((l) => l.event === "access_routes_unmapped");
      expect(unmapped.map((l) => l.routes)).toEqual([]);
      expect(logs.lines().some((l) => l.event === "api_keys_loaded")).toBe(true);
    }
  });

  it("answers 401 without a key or with a wrong one, 403 for a key without the route's scope, 200 with the scope; /health stays open", async () => {
    for (const url of [s.url, s.aidb.url, s.local.url]) {
      expect((await call(`${url}/health`)).status, url).toBe(200);
      const none = await call(`${url}/status`);
      expect(none.status, url).toBe(401);
      expect(none.body).toMatchObject({ error: "missing_api_key" });
      expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(none.headers.get("x-request-id")).toBeTruthy();
      expect((await call(`${url}/status`, { key: generateApiKey() })).body).toMatchObject({ error: "invalid_api_key" });
      expect((await call(`${url}/status`, { key: keys.writer })).body).toMatchObject({ error: "insufficient_scope", required_scope: "query" });
      expect((await call(`${url}/status`, { key: keys.reader })).status, url).toBe(200);
      expect((await call(`${url}/status`, { key: keys.reader, header: "x-api-key" })).status, url).toBe(200);
    }
    // A 404 needs a key too: nothing to probe without one.
    expect((await call(`${s.aidb.url}/no-such-route`)).status).toBe(401);
    expect((await call(`${s.aidb.url}/no-such-route`, { key: keys.reader })).status).toBe(404);
  });

  it("maps each risk to a scope: admin for gc, delete, weights and reload; ingest for documents", async () => {
    expect((await call(`${s.aidb.url}/gc`, { key: keys.full.replace(/.$/, "x"), body: { dry_run: true } })).status).toBe(401);
    expect((await call(`${s.aidb.url}/gc`, { key: keys.reader, body: { dry_run: true } })).body).toMatchObject({ error: "insufficient_scope", required_scope: "admin" });
    expect((await call(`${s.aidb.url}/gc`, { key: keys.ops, body: { dry_run: true } })).status).toBe(200);
    expect((await call(`${s.aidb.url}/documents/${docIds[0]}`, { method: "DELETE", key: keys.writer })).status).toBe(403);
    expect((await call(`${s.local.url}/reload-model`, { key: keys.reader, body: { model: "/nonexistent.gguf" } })).status).toBe(403);
    expect((await call(`${s.aidb.url}/documents`, { key: keys.reader, body: { project: "x", text: "y" } })).status).toBe(403);
  });

  it("answers a question end to end with the key: the coordinator reaches aidb and inference with the internal key", async () => {
    const r = await call(`${s.url}/query`, { key: keys.reader, body: { query: "how are flake inputs pinned?", project: "nix" } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.backend).toBe("local");
    expect(r.body.context.retrieval_error).toBeUndefined();
    expect(r.body.context.sources.map((x: { document_id: string }) => x.document_id)).toEqual(docIds);
    // The internal key is never rate-limited, audited or logged.
    expect(s.logs.text() + s.aidb.logs.text() + s.local.logs.text()).not.toContain(readFileSync(internalKeyFile, "utf8"));
  });

  it("opens /metrics and /ready to loopback without a key (openOnLoopback), and keeps /v1 errors in OpenAI's shape", async () => {
    expect((await call(`${s.url}/metrics`)).status).toBe(200);
    expect((await call(`${s.local.url}/ready`)).status).toBe(200);
    // openOnLoopback none: a key even on loopback; the dashboard's scrape of aidb uses the internal key.
    expect((await call(`${s.aidb.url}/metrics`)).status).toBe(401);
    expect((await call(`${s.aidb.url}/ready`)).status).toBe(401);
    expect((await call(`${s.aidb.url}/metrics`, { key: keys.reader })).status).toBe(200);
    const internals = await call(`${s.url}/api/internals`);
    expect(internals.status).toBe(200);
    expect(JSON.stringify(internals.body)).toContain('"source":"aidb /metrics"');
    expect(JSON.stringify(internals.body)).not.toMatch(/HTTP 401/);
    const v1 = await call(`${s.url}/v1/chat/completions`, { body: { messages: [{ role: "user", content: "hi" }] } });
    expect(v1.status).toBe(401);
    expect(v1.body).toMatchObject({ error: { type: "authentication_error", code: "missing_api_key", message: expect.stringMatching(/needs an API key/) } });
  });

  it("lets the 10th high-risk call of a key through and refuses the 11th with 429, Retry-After and the reason, across services (one bucket in Redis)", async () => {
    const weights = { vector: 0.6, keyword: 0.4 };
    // The gc above was ops's first high-risk call (it shares the bucket with aidb's PUT weights).
    for (let i = 2; i <= 10; i++) expect((await call(`${s.aidb.url}/rag/fusion/weights`, { method: "PUT", key: keys.ops, body: weights })).status, `call ${i}`).toBe(200);
    const refused = await call(`${s.aidb.url}/rag/fusion/weights`, { method: "PUT", key: keys.ops, body: weights });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: "rate_limit_exceeded", limit: 10, window_s: 60 });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(6);
    // Another key is not affected.
    expect((await call(`${s.aidb.url}/rag/fusion/weights`, { method: "PUT", key: keys.full, body: weights })).status).toBe(200);
  });

  it("refills after the window (inference: 3 low-risk calls per 1.5 s, kept in its process)", async () => {
    for (let i = 1; i <= 3; i++) expect((await call(`${s.local.url}/v1/models`, { key: keys.lowrate })).status, `call ${i}`).toBe(200);
    const refused = await call(`${s.local.url}/v1/models`, { key: keys.lowrate });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: { type: "rate_limit_error", code: "rate_limit_exceeded" } });
    await new Promise((r) => setTimeout(r, 1600));
    for (let i = 1; i <= 3; i++) expect((await call(`${s.local.url}/v1/models`, { key: keys.lowrate })).status, `after the window, call ${i}`).toBe(200);
    expect((await call(`${s.local.url}/v1/models`, { key: keys.lowrate })).status).toBe(429);
  });

  it("limits every call of a key together (global_rate_limit_exceeded) and documents ingested (ingest_rate_limit_exceeded)", async () => {
    for (let i = 1; i <= 40; i++) expect((await call(`${s.aidb.url}/status`, { key: keys.burst })).status, `call ${i}`).toBe(200);
    expect((await call(`${s.url}/status`, { key: keys.burst })).body).toMatchObject({ error: "global_rate_limit_exceeded", limit: 40 });
    const doc = (n: number) => ({ project: "ing", text: `document number ${n} about nix` });
    expect((await call(`${s.aidb.url}/documents`, { key: keys.ingester, body: { documents: [doc(1), doc(2), doc(3)] } })).status).toBe(200);
    const over = await call(`${s.aidb.url}/documents`, { key: keys.ingester, body: { documents: [doc(4), doc(5), doc(6)] } });
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ error: "ingest_rate_limit_exceeded", limit: 5 });
    const tooBig = await call(`${s.aidb.url}/documents`, { key: keys.writer, body: { documents: [1, 2, 3, 4, 5, 6].map(doc) } });
    expect(tooBig.body).toMatchObject({ error: "ingest_rate_limit_exceeded", message: expect.stringMatching(/this request has 6/) });
  });

  it("surfaces 401, 403 and 429 as the official OpenAI SDK's typed errors", async () => {
    const client = (key: string) => new OpenAI({ baseURL: `${s.url}/v1`, apiKey: key, maxRetries: 0 });
    const ask = (key: string) => client(key).chat.completions.create({ model: "ai-stack", messages: [{ role: "user", content: "what pins flake inputs?" }], max_tokens: 8 });
    await expect(ask(generateApiKey())).rejects.toMatchObject({ constructor: OpenAI.AuthenticationError, status: 401, code: "invalid_api_key" });
    await expect(ask(keys.writer)).rejects.toMatchObject({ constructor: OpenAI.PermissionDeniedError, status: 403, code: "insufficient_scope" });
    for (let i = 1; i <= limits.rateLimitMedium; i++) expect((await ask(keys.sdk)).choices[0]?.message).toBeDefined();
    const err = await ask(keys.sdk).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err).toMatchObject({ status: 429, code: "rate_limit_exceeded" });
    expect(Number((err as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("writes one chained audit record per admin-scope or high-risk call, denied ones included, and aq audit verify accepts the file", async () => {
    const records = () =>
      readFileSync(auditFile, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    await new Promise((r) => setTimeout(r, 200));
    const all = records();
    const gc = all.filter((r) => r.route === "/gc");
    expect(gc).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ service: "aidb", method: "POST", key_name: "reader", key_id: hashApiKey(keys.reader).slice(0, 16), tier: "high", scope: "admin", status: 403, outcome: "denied" }),
        expect.objectContaining({ service: "aidb", key_name: "ops", status: 200, outcome: "ok", params_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
      ]),
    );
    // The wrong key got a 401: nobody to attribute it to, so it is counted, not audited.
    expect(gc.every((r) => r.key_name !== null)).toBe(true);
    const weights = all.filter((r) => r.route === "/rag/fusion/weights" && r.key_name === "ops");
    expect(weights.map((r) => r.status)).toEqual([...Array(9).fill(200), 429]);
    expect(all.some((r) => r.route === "/reload-model" && r.service === "inference" && r.status === 403)).toBe(true);
    // Low- and medium-risk calls of other scopes are not audited; no record holds a key or a body.
    expect(all.some((r) => r.route === "/query" || r.route === "/status")).toBe(false);
    expect(readFileSync(auditFile, "utf8")).not.toMatch(/aqk_/);
    const verify = await runAq(["audit", "verify", auditFile]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(new RegExp(`${all.length} records, chain intact`));
  });

  it("aq sends the key read from --api-key-file or the file AQ_API_KEY_FILE names", async () => {
    const readerFile = join(dir, "reader.key");
    const fullFile = join(dir, "full.key");
    writeFileSync(readerFile, keys.reader + "\n");
    writeFileSync(fullFile, keys.full + "\n");
    const without = await runAq(["gaps", "--url", s.url]);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/401|missing_api_key|needs an API key/);
    const gaps = await runAq(["gaps", "--url", s.url, "--api-key-file", readerFile]);
    expect(gaps.code, gaps.stderr).toBe(0);
    const gc = await runAq(["gc", "--dry-run", "--url", s.aidb.url], { AQ_API_KEY_FILE: fullFile });
    expect(gc.code, gc.stderr).toBe(0);
    expect((await runAq(["gc", "--dry-run", "--url", s.aidb.url, "--api-key-file", join(dir, "missing.key")])).code).toBe(2);
  });

  it("counts refusals and keeps limiting in process (counted) when Redis goes away", async () => {
    const metrics = (await call(`${s.aidb.url}/metrics`, { key: keys.reader })).body as string;
    expect(metrics).toMatch(/^http_auth_denied_total\{reason="insufficient_scope",service="aidb"\} [1-9]/m);
    expect(metrics).toMatch(/^http_rate_limited_total\{reason="rate_limit_exceeded",tier="high",service="aidb"\} 1$/m);
    expect(metrics).toMatch(/^audit_records_total\{result="written",service="aidb"\} [1-9]/m);
    expect(metrics).toMatch(/^rate_limit_fallback_total\{service="aidb"\} 0$/m);
    await redis.kill();
    await new Promise((r) => setTimeout(r, 200));
    expect((await call(`${s.aidb.url}/status`, { key: keys.reader })).status).toBe(200);
    const after = (await call(`${s.aidb.url}/metrics`, { key: keys.reader })).body as string;
    expect(after).toMatch(/^rate_limit_fallback_total\{service="aidb"\} [1-9]/m);
    expect(s.aidb.logs.lines()).toContainEqual(expect.objectContaining({ rate_limit_fallback: true }));
  });
});
