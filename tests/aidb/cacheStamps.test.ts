import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createStampPublisher, type StampPublisher } from "../../services/aidb/cacheStamps/createStampPublisher.js";
import { ALL_PROJECTS_STAMP_KEY, FUSION_STAMP_KEY, corpusStampKey, corpusStampKeyFor, projectTag } from "../../services/shared/cacheStamps/stampKeys.js";
import { captureLogger } from "../helpers/captureLogger.js";
import { hasRedisServer, startRedis, type RedisServer } from "../helpers/startRedis.js";
import { send, startAidbApp, type RunningAidb } from "./helpers/startAidbApp.js";
import { openTestPglite, type TestDb } from "./helpers/testDb.js";

if (!hasRedisServer()) console.warn("skipping the Redis parts of cacheStamps.test.ts: redis-server is not on PATH");

describe("stamp keys", () => {
  it("hashes the project into a short, safe key; no project reads the all-projects stamp", () => {
    expect(corpusStampKey("demo")).toMatch(/^cache-stamp:corpus:p[0-9a-f]{32}$/);
    expect(corpusStampKey("demo")).toBe(corpusStampKey("demo"));
    expect(corpusStampKey("demo")).not.toBe(corpusStampKey("Demo"));
    expect(corpusStampKey("a:b *?[x]\n" + "y".repeat(300))).toMatch(/^cache-stamp:corpus:p[0-9a-f]{32}$/);
    expect(projectTag("all")).not.toBe("all");
    expect(corpusStampKeyFor(undefined)).toBe(ALL_PROJECTS_STAMP_KEY);
    expect(corpusStampKeyFor("demo")).toBe(corpusStampKey("demo"));
    expect(FUSION_STAMP_KEY).toBe("cache-stamp:fusion");
  });

  it("without a Redis URL the publisher does nothing and says why", async () => {
    const p = await createStampPublisher({ logger: captureLogger().logger });
    await p.bumpProjects(["a"]);
    await p.bumpFusion();
    expect(p.status()).toMatchObject({ enabled: false, healthy: true, pending: 0, reason: expect.stringMatching(/redisUrl/) });
    await p.close();
  });
});

describe.skipIf(!hasRedisServer())("stamp publisher on a real redis-server", () => {
  let server: RedisServer;
  let admin: Redis;
  const open: StampPublisher[] = [];
  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
  });
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });
  beforeEach(async () => {
    await admin.flushall();
  });

  it("INCRs each project once, the all-projects stamp once per call, and the fusion stamp", async () => {
    const p = await createStampPublisher({ redisUrl: server.url, logger: captureLogger().logger });
    open.push(p);
    expect(p.status()).toEqual({ enabled: true, healthy: true, pending: 0 });
    await p.bumpProjects(["a", "b", "a"]);
    await p.bumpProjects([]);
    expect(await admin.mget(corpusStampKey("a"), corpusStampKey("b"), ALL_PROJECTS_STAMP_KEY, FUSION_STAMP_KEY)).toEqual(["1", "1", "1", null]);
    await Promise.all([p.bumpProjects(["a"]), p.bumpFusion(), p.bumpFusion()]);
    expect(await admin.mget(corpusStampKey("a"), corpusStampKey("b"), ALL_PROJECTS_STAMP_KEY)).toEqual(["2", "1", "2"]);
    expect(Number(await admin.get(FUSION_STAMP_KEY))).toBeGreaterThanOrEqual(1);
    expect(await admin.ttl(corpusStampKey("a"))).toBe(-1); // stamps never expire
  });

  it("keeps bumps made while Redis is down and publishes them when it is back, never throwing", async () => {
    const own = await startRedis();
    try {
      const cap = captureLogger();
      const p = await createStampPublisher({ redisUrl: own.url, logger: cap.logger });
      open.push(p);
      await own.kill();
      const t0 = performance.now();
      await p.bumpProjects(["x", "y"]);
      await p.bumpFusion();
      expect(performance.now() - t0).toBeLessThan(500);
      expect(p.status()).toMatchObject({ enabled: true, healthy: false, pending: 3 });
      expect(cap.lines().filter((l) => l.cache_stamps_degraded === true)).toHaveLength(1);

      const again = await startRedis({ port: own.port });
      try {
        const check = new Redis(again.url);
        try {
          await expect
            .poll(() => check.mget(corpusStampKey("x"), corpusStampKey("y"), ALL_PROJECTS_STAMP_KEY, FUSION_STAMP_KEY), { timeout: 8000, interval: 100 })
            .toEqual(["1", "1", "1", "1"]);
        } finally {
          check.disconnect();
        }
        expect(p.status()).toEqual({ enabled: true, healthy: true, pending: 0 });
        expect(cap.lines().filter((l) => l.cache_stamps_recovered === true)).toHaveLength(1);
      } finally {
        await p.close();
        await again.stop();
      }
    } finally {
      await own.stop();
    }
  });

  it("starts without Redis reachable, without throwing or waiting long", async () => {
    const own = await startRedis();
    await own.stop();
    const t0 = performance.now();
    const p = await createStampPublisher({ redisUrl: own.url, logger: captureLogger().logger });
    open.push(p);
    expect(performance.now() - t0).toBeLessThan(2000);
    await p.bumpFusion();
    expect(p.status()).toMatchObject({ healthy: false, pending: 1 });
  });
});

describe.skipIf(!hasRedisServer())("aidb bumps the stamps (real aidb, real Redis)", () => {
  let server: RedisServer;
  let admin: Redis;
  let t: TestDb;
  let aidb: RunningAidb;
  let u: string;
  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
    t = await openTestPglite();
    aidb = await startAidbApp(t.db, { redisUrl: server.url });
    u = aidb.url;
  });
  afterAll(async () => {
    await aidb?.close();
    await t?.close();
    admin?.disconnect();
    await server?.stop();
  });

  const stamps = async () => {
    const [alpha, beta, all, fusion] = await admin.mget(corpusStampKey("alpha"), corpusStampKey("beta"), ALL_PROJECTS_STAMP_KEY, FUSION_STAMP_KEY);
    return { alpha, beta, all, fusion };
  };

  it("ingest bumps every project that got a stored document; duplicates and failures bump nothing", async () => {
    expect(await stamps()).toEqual({ alpha: null, beta: null, all: null, fusion: null });
    const r = await send(`${u}/documents`, "POST", {
      documents: [
        { project: "alpha", title: "one", text: "Nix flakes pin their inputs in flake.lock." },
        { project: "alpha", title: "two", text: "Home Manager configures user environments." },
        { project: "beta", title: "three", text: "Redis keeps the semantic cache." },
      ],
    });
    expect(r.body).toMatchObject({ stored: 3 });
    expect(await stamps()).toEqual({ alpha: "1", beta: "1", all: "1", fusion: null });

    const dup = await send(`${u}/documents`, "POST", { project: "beta", text: "Redis keeps the semantic cache." });
    expect(dup.body).toMatchObject({ stored: 0, duplicates: 1 });
    expect(await stamps()).toEqual({ alpha: "1", beta: "1", all: "1", fusion: null });

    // A project name with spaces is trimmed by the schema, like the stored document's.
    const spaced = await send(`${u}/documents`, "POST", { project: "  beta  ", text: "Prometheus scrapes the coordinator." });
    expect(spaced.body).toMatchObject({ stored: 1 });
    expect(await stamps()).toMatchObject({ alpha: "1", beta: "2", all: "2" });
  });

  it("delete bumps the deleted document's project; a missing document bumps nothing", async () => {
    const listed = await send(`${u}/documents?project=alpha`, "GET");
    const id = listed.body.documents[0].id as string;
    const before = await stamps();
    expect((await send(`${u}/documents/${id}`, "DELETE")).status).toBe(200);
    const after = await stamps();
    expect(after).toEqual({ ...before, alpha: String(Number(before.alpha) + 1), all: String(Number(before.all) + 1) });
    expect((await send(`${u}/documents/${id}`, "DELETE")).status).toBe(404);
    expect(await stamps()).toEqual(after);
  });

  it("gc bumps the projects of deleted documents, and a dry run bumps nothing", async () => {
    const listed = await send(`${u}/documents?project=beta`, "GET");
    const ids = (listed.body.documents as { id: string }[]).map((d) => d.id);
    expect(ids.length).toBeGreaterThan(0);
    // Test seam: documents are aged with SQL (the API has no way to backdate).
    await t.db.query("UPDATE documents SET ingested_at = now() - interval '400 days', last_accessed_at = now() - interval '400 days' WHERE id = ANY($1::uuid[])", [ids]);
    const before = await stamps();
    const dry = await send(`${u}/gc`, "POST", { dry_run: true });
    expect(dry.body.count).toBe(ids.length);
    expect(await stamps()).toEqual(before);
    const real = await send(`${u}/gc`, "POST", { dry_run: false });
    expect(real.body.ids).toEqual([...ids].sort());
    expect(await stamps()).toEqual({ ...before, beta: String(Number(before.beta) + 1), all: String(Number(before.all) + 1) });
    const none = await send(`${u}/gc`, "POST", {});
    expect(none.body.count).toBe(0);
    expect(await stamps()).toEqual({ ...before, beta: String(Number(before.beta) + 1), all: String(Number(before.all) + 1) });
  });

  it("changing the fusion weights bumps the fusion stamp; reading them does not", async () => {
    const before = await stamps();
    expect((await send(`${u}/rag/fusion/weights`, "GET")).status).toBe(200);
    expect(await stamps()).toEqual(before);
    const r = await send(`${u}/rag/fusion/weights`, "PUT", { vector: 3, keyword: 1 });
    expect(r.status).toBe(200);
    expect(await stamps()).toEqual({ ...before, fusion: "1" });
    expect((await send(`${u}/rag/fusion/weights`, "PUT", { vector: -1, keyword: 1 })).status).toBe(400);
    expect(await stamps()).toEqual({ ...before, fusion: "1" });
  });

  it("keeps answering while Redis is gone", async () => {
    const own = await startRedis();
    const t2 = await openTestPglite();
    const app = await startAidbApp(t2.db, { redisUrl: own.url });
    try {
      await own.kill();
      const t0 = performance.now();
      const r = await send(`${app.url}/documents`, "POST", { project: "gamma", text: "Stamps wait for Redis." });
      expect(r.body).toMatchObject({ stored: 1 });
      expect((await send(`${app.url}/rag/fusion/weights`, "PUT", { vector: 1, keyword: 1 })).status).toBe(200);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(app.runtime.stamps.status()).toMatchObject({ healthy: false, pending: 2 });
    } finally {
      await app.close();
      await t2.close();
      await own.stop();
    }
  });
});
