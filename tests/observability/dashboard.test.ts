import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { Redis } from "ioredis";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { overallStatus, type HealthEntry } from "../../services/coordinator/dashboard/aggregateHealth.js";
import { createLogRing } from "../../services/coordinator/dashboard/createLogRing.js";
import { maskConfig, maskUrl } from "../../services/coordinator/dashboard/maskConfig.js";
import { parsePrometheusText, sumOf } from "../../services/coordinator/dashboard/parsePrometheusText.js";
import { hasRedisServer, startRedis, type RedisServer } from "../helpers/startRedis.js";
import { getJson, ingest, post, startCoordinatorStack, type CoordinatorStack } from "../coordinator/helpers/startCoordinatorStack.js";
import { createAidbClient } from "../../services/aidb/api/createAidbClient.js";

/** The page's refresh period and the aggregate's cache (services/coordinator/dashboard). */
const REFRESH_MS = 2000;
const HEALTH_CACHE_MS = 2000;

/** chromium or chromium-browser on PATH (Debian and Ubuntu name the binary one or the other). */
function findChromium(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    for (const name of ["chromium", "chromium-browser"]) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

const entry = (name: string, status: HealthEntry["status"]): HealthEntry => ({ name, status, check_mode: "http", latency_ms: 1, target: "x" });

describe("dashboard building blocks", () => {
  it("the log ring numbers lines, keeps the newest, serves them after `since`", () => {
    const ring = createLogRing({ capacity: 3 });
    expect(ring.since(0)).toEqual({ lines: [], last_id: 0 });
    for (let i = 1; i <= 5; i++) ring.write(`${JSON.stringify({ level: "info", time: "2025-01-01T00:00:00.000Z", msg: `line ${i}`, n: i })}\n`);
    ring.write("not json\n");
    const all = ring.since(0);
    expect(all.last_id).toBe(6);
    expect(all.lines.map((l) => l.id)).toEqual([4, 5, 6]);
    expect(all.lines[0]).toMatchObject({ msg: "line 4", n: 4, level: "info" });
    expect(all.lines[2]).toMatchObject({ msg: "not json", level: "info" });
    expect(ring.since(5).lines.map((l) => l.id)).toEqual([6]);
    expect(ring.since(6).lines).toEqual([]);
    expect(ring.since(0, 1).lines.map((l) => l.id)).toEqual([6]);
    // A `since` from before a restart (above last_id) starts over.
    expect(ring.since(99).lines.map((l) => l.id)).toEqual([4, 5, 6]);
  });

  it("masks secret names and credentials in URLs, but not token budgets or key-file paths", () => {
    const { value, masked } = maskConfig({
      redisUrl: "redis://:hunter2@127.0.0.1:6379/0",
      databaseUrl: "postgres://ai:pw@db/ai?sslmode=require&password=pw2",
      remoteLlmKeyFile: "/run/keys/remote",
      apiKey: "sk-1",
      nested: { ACCESS_TOKEN: "t", dbPassword: "p", clientSecretValue: "s" },
      maxTokens: 512,
      contextTokenBudget: 1500,
      plain: "http://127.0.0.1:8080",
    });
    const text = JSON.stringify(value);
    for (const secret of ["hunter2", ":pw@", "pw2", "sk-1", '"t"', '"p"', '"s"']) expect(text).not.toContain(secret);
    expect(value).toMatchObject({ remoteLlmKeyFile: "/run/keys/remote", maxTokens: 512, contextTokenBudget: 1500, plain: "http://127.0.0.1:8080", apiKey: "[MASKED]" });
    expect((value as { redisUrl: string }).redisUrl).toBe("redis://[MASKED]@127.0.0.1:6379/0");
    expect((value as { databaseUrl: string }).databaseUrl).toBe("postgres://[MASKED]@db/ai?sslmode=require&password=[MASKED]");
    expect(masked.sort()).toEqual(["apiKey", "databaseUrl", "nested.ACCESS_TOKEN", "nested.clientSecretValue", "nested.dbPassword", "redisUrl"]);
    expect(maskUrl("not a url")).toBe("not a url");
  });

  it("overall status: down without database or without any model, degraded when anything is not ok", () => {
    expect(overallStatus([entry("local_llm", "ok"), entry("aidb", "ok"), entry("database", "ok")])).toBe("healthy");
    expect(overallStatus([entry("local_llm", "ok"), entry("aidb", "down"), entry("database", "ok")])).toBe("degraded");
    expect(overallStatus([entry("local_llm", "ok"), entry("database", "down")])).toBe("down");
    expect(overallStatus([entry("local_llm", "down"), entry("database", "ok")])).toBe("down");
    expect(overallStatus([entry("local_llm", "down"), entry("remote_llm", "ok"), entry("database", "ok")])).toBe("degraded");
    expect(overallStatus([entry("local_llm", "down"), entry("remote_llm", "degraded"), entry("database", "ok")])).toBe("degraded");
    expect(overallStatus([entry("local_llm", "down"), entry("remote_llm", "down"), entry("database", "ok")])).toBe("down");
  });

  it("parses the Prometheus text format", () => {
    const m = parsePrometheusText('# HELP x a\n# TYPE x counter\nx{a="1",b="q\\"uote"} 3\nx{a="2"} 4.5\ny 1e3\nz_bucket{le="+Inf"} 2\n');
    expect(sumOf(m, "x")).toBe(7.5);
    expect(m.get("x")![0]!.labels).toEqual({ a: "1", b: 'q"uote' });
    expect(sumOf(m, "y")).toBe(1000);
    expect(sumOf(m, "missing")).toBe(0);
  });
});

const noRedis = !hasRedisServer();
if (noRedis) console.warn("dashboard.test.ts: stack tests skipped, redis-server is not installed (apt-get install redis-server)");
const chromiumPath = findChromium();
if (!chromiumPath) console.warn("dashboard.test.ts: browser tests skipped, no chromium or chromium-browser on PATH (apt-get install chromium)");

const KEY_SECRET = "sk-dashboard-test-0b8f3c1d9e2a7f64";
const REDIS_PASSWORD = "redis-pw-5e1d7c93a2b8";

describe.skipIf(noRedis)("the command center at /dashboard (whole stack, real Redis)", () => {
  let redis: RedisServer;
  let s: CoordinatorStack;
  let keyDir: string;
  let browser: Browser | undefined;
  let page: Page | undefined;
  const consoleErrors: string[] = [];
  const artifacts = resolve(".test-artifacts", "dashboard");

  beforeAll(async () => {
    redis = await startRedis();
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    await admin.config("SET", "requirepass", REDIS_PASSWORD);
    admin.disconnect();
    const redisUrl = `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}`;
    keyDir = mkdtempSync(join(tmpdir(), "dashboard-key-"));
    const keyFile = join(keyDir, "remote.key");
    writeFileSync(keyFile, `${KEY_SECRET}\n`, { mode: 0o600 });
    s = await startCoordinatorStack({
      remote: true,
      redisUrl,
      aidb: { redisUrl },
      routing: { local_confidence_threshold: 0 },
      coordinator: { remoteLlmKeyFile: keyFile },
    });
    await ingest(s.aidb.url, [{ project: "nix", title: "Channels", text: "Channels are named nixpkgs snapshots updated with nix-channel --update." }]);
    // One answered query so the routing, cache and token numbers are not all zero.
    const r = await post(`${s.url}/query`, { query: "How do I update my channels?", project: "nix" });
    expect(r.status).toBe(200);
    // The learning loop's panel: one applied threshold change (0 -> 0.05, through the coordinator), one
    // open proposal, two eval runs and one dead letter.
    const aidb = createAidbClient({ url: s.aidb.url, timeoutMs: 10_000 });
    const evidence = { summary: "dashboard test", window_start: "2026-01-01T00:00:00Z", window_end: "2026-01-08T00:00:00Z", ratings: 40, data: {} };
    const step = await aidb.learning.propose(
      { type: "routing_threshold_adjustment", target: "local_confidence_threshold", current_value: 0, proposed_value: 0.05, confidence: 0.9, evidence },
      { actor: "dashboard test" },
    );
    expect((await post(`${s.url}/proposals/${step.id}/approve`, { actor: "dashboard test" })).status).toBe(200);
    await aidb.learning.propose(
      { type: "code_change_required", target: "local_model", title: "a larger model", current_value: null, proposed_value: "use a larger local model", confidence: 0.4, evidence },
      { actor: "dashboard test" },
    );
    for (const score of [0.5, 0.8]) {
      await aidb.evalRuns.add({ suite: "default", started_at: new Date().toISOString(), score, passed: 4, failed: 1, skipped: 2, floor: 0.6, details: { cases: [], notes: [] } });
    }
    await s.aidb.runtime.db.query(
      `INSERT INTO ingest_dead_letters (project, item, stage, error, attempts) VALUES ('nix', $1::jsonb, 'embed', 'embedding failed: test', 3)`,
      [JSON.stringify({ document: { project: "nix", text: "x", source_trust: "imported", metadata: {} } })],
    );
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
    await redis?.stop();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  it("/config/env shows the effective config with the key file by path and no secret", async () => {
    const r = await fetch(`${s.url}/config/env`);
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).not.toContain(KEY_SECRET);
    expect(text).not.toContain(REDIS_PASSWORD);
    const body = JSON.parse(text);
    expect(body.config.remoteLlmKeyFile).toBe(join(keyDir, "remote.key"));
    expect(body.config.redisUrl).toBe(`redis://[MASKED]@127.0.0.1:${redis.port}`);
    expect(body.config.inferenceUrl).toBe(s.local.url);
    expect(body.masked).toContain("redisUrl");
    expect(typeof body.environment).toBe("object");
    // Nor do the other new endpoints leak them.
    for (const path of ["/api/health/aggregate", "/logs/recent", "/api/internals", "/learning/summary"]) {
      const t = await (await fetch(`${s.url}${path}`)).text();
      expect(t, path).not.toContain(KEY_SECRET);
      expect(t, path).not.toContain(REDIS_PASSWORD);
    }
  });

  it("/logs/recent serves the logger's lines with increasing ids, after `since`, and validates it", async () => {
    const first = await getJson(`${s.url}/logs/recent`);
    expect(first.lines.length).toBeGreaterThan(0);
    const ids = first.lines.map((l: { id: number }) => l.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(first.last_id).toBe(ids[ids.length - 1]);
    expect(first.lines.some((l: { msg: string }) => l.msg === "coordinator built")).toBe(true);
    for (const l of first.lines) expect(l).toMatchObject({ id: expect.any(Number), time: expect.any(String), level: expect.any(String), msg: expect.any(String) });

    const none = await getJson(`${s.url}/logs/recent?since=${first.last_id}`);
    expect(none.lines.filter((l: { id: number }) => l.id <= first.last_id)).toEqual([]);
    s.coordinator.runtime.logger.warn({ event: "dashboard_test_marker" }, "marker line");
    const next = await getJson(`${s.url}/logs/recent?since=${first.last_id}`);
    expect(next.lines.find((l: { event?: string }) => l.event === "dashboard_test_marker")).toMatchObject({ level: "warn", msg: "marker line" });
    expect(next.last_id).toBeGreaterThan(first.last_id);
    expect((await getJson(`${s.url}/logs/recent?since=0&limit=1`)).lines).toHaveLength(1);

    for (const bad of ["abc", "-1", "1.5"]) {
      const r = await fetch(`${s.url}/logs/recent?since=${bad}`);
      expect(r.status, bad).toBe(400);
      const body = await r.json();
      expect(body.error).toBe("validation_error");
      expect(body.fields.map((f: { path: string }) => f.path)).toContain("querystring.since");
    }
  });

  it("/api/health/aggregate checks every dependency by its mode, caches briefly, and /api/health/probe does not", async () => {
    const probe = await getJson(`${s.url}/api/health/probe`);
    expect(probe.overall_status).toBe("healthy");
    expect(probe.cached).toBe(false);
    const byName = Object.fromEntries(probe.services.map((e: HealthEntry) => [e.name, e]));
    expect(Object.keys(byName).sort()).toEqual(["aidb", "database", "local_llm", "redis", "remote_llm"]);
    expect(byName.local_llm).toMatchObject({ status: "ok", check_mode: "http", target: `${s.local.url}/health` });
    expect(byName.aidb).toMatchObject({ status: "ok", check_mode: "http" });
    expect(byName.redis).toMatchObject({ status: "ok", check_mode: "tcp", target: `redis://[MASKED]@127.0.0.1:${redis.port}` });
    // The coordinator's interactions live in aidb's database: SELECT 1 through aidb.
    expect(byName.database).toMatchObject({ status: "ok", check_mode: "sql", target: expect.stringContaining("aidb") });
    expect(byName.remote_llm).toMatchObject({ status: "ok", check_mode: "circuit", latency_ms: null });
    for (const e of probe.services) if (e.check_mode !== "circuit") expect(e.latency_ms).toBeGreaterThanOrEqual(0);
    expect(probe.skipped).toEqual([]);

    const cached = await getJson(`${s.url}/api/health/aggregate`);
    expect(cached.cached).toBe(true);
    expect(cached.checked_at).toBe(probe.checked_at);
    const fresh = await getJson(`${s.url}/api/health/probe`);
    expect(fresh.cached).toBe(false);
    expect(fresh.checked_at >= probe.checked_at).toBe(true);
  });

  it("/api/internals reports the caches, routing decisions, compression and tokens", async () => {
    const x = await getJson(`${s.url}/api/internals`);
    expect(x.semantic_cache).toMatchObject({ enabled: true, hits: expect.any(Number) });
    expect(x.semantic_cache.misses).toBeGreaterThanOrEqual(1);
    expect(x.embedding_cache.error).toBeUndefined();
    expect(x.embedding_cache.hits + x.embedding_cache.misses).toBeGreaterThanOrEqual(1);
    expect(x.routing.local + x.routing.remote).toBeGreaterThanOrEqual(1);
    expect(x.routing.decisions[0]).toMatchObject({ backend: expect.any(String), reason: expect.any(String), count: expect.any(Number) });
    expect(x.compression).toMatchObject({ enabled: true, tokens_compressed: expect.any(Number), queries: expect.any(Number) });
    expect(x.generation.error).toBeUndefined();
    expect(x.generation.tokens_generated_total).toBeGreaterThan(0);
    const again = await getJson(`${s.url}/api/internals`);
    expect(again.generation.tokens_per_second).toEqual(expect.any(Number));
  });

  it.skipIf(!chromiumPath)("the page loads in Chromium with a strict CSP, no console errors and every tile populated", async () => {
    const r = await fetch(`${s.url}/dashboard`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await r.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/\bstyle=|<style/);
    expect(html).not.toMatch(/https?:\/\//); // nothing from elsewhere

    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: process.getuid?.() === 0 ? ["--no-sandbox"] : [] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (err) => consoleErrors.push(`pageerror: ${err.message}`));
    page.on("requestfailed", (req) => consoleErrors.push(`requestfailed: ${req.url()}`));
    await page.goto(`${s.url}/dashboard`);
    await page.waitForFunction(() => Number(document.body.dataset.refreshed ?? 0) >= 2, undefined, { timeout: 15_000 });

    expect(await page.locator("#overall").getAttribute("data-status")).toBe("healthy");
    expect(await page.locator("#banner").isHidden()).toBe(true);
    const tiles = await page.locator(".tile").evaluateAll((els) =>
      els.map((e) => ({
        service: (e as HTMLElement).dataset.service,
        status: (e as HTMLElement).dataset.status,
        text: e.querySelector(".status")?.textContent,
        mode: e.querySelector(".mode")?.textContent,
      })),
    );
    expect(tiles.map((t) => t.service).sort()).toEqual(["aidb", "database", "local_llm", "redis", "remote_llm"]);
    for (const t of tiles) {
      expect(t.status, t.service).toBe("ok");
      expect(t.text).toBe("ok");
      expect(t.mode).toMatch(/^check: (http|tcp|sql|circuit)/);
    }
    expect(await page.locator(".tile[data-service=redis] .mode").textContent()).toMatch(/^check: tcp/);
    expect(await page.locator(".tile[data-service=database] .mode").textContent()).toMatch(/^check: sql/);
    // Every internals field has a value; the routing table has rows; logs are listed.
    expect(await page.locator("#internals dd.pending").count()).toBe(0);
    for (const dd of await page.locator("#internals dd").allTextContents()) expect(dd.trim()).not.toBe("");
    expect(await page.locator("#routing tbody tr[data-backend]").count()).toBeGreaterThan(0);
    // The learning loop: threshold (with its history and chart), eval score over time, open proposals, DLQ depth.
    expect(await page.locator("#learning dd.pending").count()).toBe(0);
    expect(await page.locator('[data-field="threshold"]').textContent()).toMatch(/^0\.050/);
    expect(await page.locator('[data-field="eval_score"]').textContent()).toMatch(/^80\.0 %/);
    expect(await page.locator('[data-field="open_proposals"]').textContent()).toMatch(/^1/);
    expect(await page.locator('[data-field="dlq_depth"]').textContent()).toMatch(/^1/);
    expect(await page.locator("#threshold-history tbody tr[data-proposal]").count()).toBe(1);
    expect(await page.locator("#proposals tbody tr[data-proposal]").textContent()).toMatch(/code_change_required.*local_model/);
    expect(await page.locator("#threshold-chart").getAttribute("data-points")).toBe("2");
    expect(await page.locator("#eval-chart").getAttribute("data-points")).toBe("2");
    expect(await page.locator("#eval-chart polyline").count()).toBe(1);
    expect(await page.locator("#eval-chart line.floor").count()).toBe(1);
    const logCount = await page.locator("#logs li").count();
    expect(logCount).toBeGreaterThan(0);
    expect(logCount).toBeLessThanOrEqual(50);

    mkdirSync(artifacts, { recursive: true });
    const shot = join(artifacts, "dashboard-healthy.png");
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`dashboard screenshot: ${shot}`);
    expect(consoleErrors).toEqual([]);
  });

  it("when the local inference stops: /probe sees it at once, /aggregate after its cache (healthy → degraded), the page shows a red tile and a banner within a refresh", async () => {
    const before = await getJson(`${s.url}/api/health/aggregate`);
    expect(before.overall_status).toBe("healthy");
    await s.local.close();
    const stoppedAt = Date.now();

    const cached = await getJson(`${s.url}/api/health/aggregate`);
    // Within its 2 s the aggregate may still answer from before the stop.
    if (cached.cached && cached.checked_at === before.checked_at) expect(cached.overall_status).toBe("healthy");
    const probe = await getJson(`${s.url}/api/health/probe`);
    expect(probe.cached).toBe(false);
    // The remote can still answer: degraded, not down.
    expect(probe.overall_status).toBe("degraded");
    const local = probe.services.find((e: HealthEntry) => e.name === "local_llm");
    expect(local).toMatchObject({ status: "down", check_mode: "http", error: expect.stringMatching(/ECONNREFUSED|refused/i) });
    expect(probe.services.filter((e: HealthEntry) => e.status !== "ok").map((e: HealthEntry) => e.name)).toEqual(["local_llm"]);
    // The probe replaced the cached answer.
    expect((await getJson(`${s.url}/api/health/aggregate`)).overall_status).toBe("degraded");
    await new Promise((r) => setTimeout(r, HEALTH_CACHE_MS + 50));
    expect(await getJson(`${s.url}/api/health/aggregate`)).toMatchObject({ overall_status: "degraded", cached: false });
    // The internals endpoint stays up and says why tokens/s is unknown.
    expect((await getJson(`${s.url}/api/internals`)).generation.error).toMatch(/ECONNREFUSED|refused/i);

    if (!page) return; // no browser (skipped above)
    // The page polls every 2 s; the answer it gets may be up to 2 s old.
    await page.locator('.tile[data-service="local_llm"].down').waitFor({ timeout: REFRESH_MS + HEALTH_CACHE_MS + 3000 });
    console.log(`dashboard: local_llm tile red ${Date.now() - stoppedAt} ms after the stop`);
    const banner = page.locator("#banner");
    expect(await banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toMatch(/^Down: local_llm/);
    expect(await page.locator("#overall").getAttribute("data-status")).toBe("degraded");
    expect(await page.locator('.tile[data-service="aidb"]').getAttribute("data-status")).toBe("ok");
    expect(await page.locator('[data-field="tokens_per_second"]').textContent()).toMatch(/^unavailable/);
    const shot = join(artifacts, "dashboard-local-down.png");
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`dashboard screenshot: ${shot}`);
    expect(consoleErrors).toEqual([]);
  });

  it("when aidb (which holds the coordinator's database) stops too, overall_status is down and the banner says so", async () => {
    await s.aidb.close();
    const probe = await getJson(`${s.url}/api/health/probe`);
    expect(probe.overall_status).toBe("down");
    const down = probe.services.filter((e: HealthEntry) => e.status === "down").map((e: HealthEntry) => e.name);
    expect(down.sort()).toEqual(["aidb", "database", "local_llm"]);
    expect(probe.services.find((e: HealthEntry) => e.name === "database").check_mode).toBe("sql");

    if (!page) return;
    await page.locator('#overall[data-status="down"]').waitFor({ timeout: REFRESH_MS + HEALTH_CACHE_MS + 3000 });
    expect(await page.locator("#banner").textContent()).toMatch(/cannot answer.*aidb/);
    expect(await page.locator('.tile[data-service="database"]').getAttribute("data-status")).toBe("down");
    expect(consoleErrors).toEqual([]);
  });
});
