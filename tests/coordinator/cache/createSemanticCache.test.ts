import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createStampPublisher, type StampPublisher } from "../../../services/aidb/cacheStamps/createStampPublisher.js";
import { FUSION_STAMP_KEY, corpusStampKey } from "../../../services/shared/cacheStamps/stampKeys.js";
import type { LookupRequest, SemanticCache, Variant } from "../../../services/coordinator/cache/SemanticCache.js";
import { createSemanticCache, type SemanticCacheOptions } from "../../../services/coordinator/cache/createSemanticCache.js";
import { captureLogger } from "../../helpers/captureLogger.js";
import { hasRedisServer, startRedis, type RedisServer } from "../../helpers/startRedis.js";

const DIM = 16;
const hashOf = (q: string) => createHash("sha256").update(q).digest("hex");

/** A unit vector along axis 0, turned by `angle` radians towards axis 1: cos(angle) is its similarity to unit(0). */
const turned = (angle: number, axis = 0) => {
  const v = new Array<number>(DIM).fill(0);
  v[axis] = Math.cos(angle);
  v[(axis + 1) % DIM] = Math.sin(angle);
  return v;
};
const angleFor = (similarity: number) => Math.acos(similarity);

const metric = async (registry: Registry, name: string, labels: Record<string, string> = {}) => {
  const m = registry.getSingleMetric(name);
  if (!m) return undefined;
  const data = await m.get();
  const match = data.values.filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x));
  return match.reduce((s, v) => s + v.value, 0);
};

const open: { close(): Promise<void> }[] = [];
async function make(opts: Partial<SemanticCacheOptions> = {}) {
  const cap = captureLogger("coordinator");
  const registry = new Registry();
  const cache = await createSemanticCache({ logger: cap.logger, registry, ...opts });
  open.push(cache);
  return { cache, registry, cap };
}
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

/** A lookup whose embed() is counted and returns `vector`. */
function ask(query: string, vector: number[], extra: Partial<LookupRequest> = {}) {
  const calls = { embed: 0 };
  const req: LookupRequest = {
    variant: "A",
    queryHash: hashOf(query),
    embed: async () => {
      calls.embed += 1;
      return vector;
    },
    ...extra,
  };
  return { req, calls };
}

/** Lookup (must miss), then store `entry` with the stamps the lookup read. */
async function fill(cache: SemanticCache, query: string, vector: number[], entry: Record<string, unknown>, extra: Partial<LookupRequest> = {}) {
  const { req } = ask(query, vector, extra);
  const r = await cache.lookup(req);
  expect(r.hit).toBe(false);
  if (r.hit) return;
  expect(r.stamps).toBeDefined();
  await cache.store({ project: req.project, variant: req.variant, queryHash: req.queryHash, entry, stamps: r.stamps });
}

describe("without Redis", () => {
  it("is disabled, says why, misses without embedding, and store does nothing", async () => {
    const { cache, registry } = await make();
    expect(cache.status()).toEqual({ enabled: false, healthy: true, reason: expect.stringMatching(/redisUrl/) });
    const { req, calls } = ask("what is nix", turned(0));
    expect(await cache.lookup(req)).toEqual({ hit: false, reason: "disabled" });
    await cache.store({ variant: "A", queryHash: req.queryHash, entry: { answer: "x" }, embedding: turned(0) });
    expect(await cache.lookup(req)).toMatchObject({ hit: false });
    expect(calls.embed).toBe(0);
    expect(await metric(registry, "semantic_cache_misses_total", { variant: "A" })).toBe(2);
    expect(registry.getSingleMetric("redis_ping_ok")).toBeUndefined();
  });

  it("treats an empty redisUrl as none and refuses invalid options naming the field", async () => {
    expect((await make({ redisUrl: "" })).cache.status().enabled).toBe(false);
    await expect(make({ redisUrl: "http://localhost:6379" })).rejects.toThrow(/semanticCache\.redisUrl/);
    await expect(make({ similarity: 1.5 })).rejects.toThrow(/semanticCache\.similarity/);
    await expect(make({ maxEntriesPerScope: 0 })).rejects.toThrow(/semanticCache\.maxEntriesPerScope/);
    await expect(make({ ttlSeconds: -1 })).rejects.toThrow(/semanticCache\.ttlSeconds/);
  });
});

describe.skipIf(!hasRedisServer())("with a real redis-server", () => {
  let server: RedisServer;
  let admin: Redis;
  let stamps: StampPublisher;
  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
    stamps = await createStampPublisher({ redisUrl: server.url, logger: captureLogger("aidb").logger });
  });
  afterAll(async () => {
    await stamps?.close();
    admin?.disconnect();
    await server?.stop();
  });
  beforeEach(async () => {
    await admin.flushall();
  });

  it("an exact repeat is a hit in one round trip, without embedding", async () => {
    const { cache, registry } = await make({ redisUrl: server.url });
    expect(cache.status()).toEqual({ enabled: true, healthy: true });
    const first = ask("how do flakes pin inputs", turned(0));
    const miss = await cache.lookup(first.req);
    expect(miss).toEqual({ hit: false, reason: "miss", stamps: { corpus: "0", fusion: "0" } });
    expect(first.calls.embed).toBe(1);
    await cache.store({ variant: "A", queryHash: first.req.queryHash, entry: { answer: "flake.lock", sources: [1, 2] } });

    await admin.config("RESETSTAT");
    const again = ask("how do flakes pin inputs", turned(0));
    expect(await cache.lookup(again.req)).toEqual({ hit: true, kind: "exact", similarity: 1, entry: { answer: "flake.lock", sources: [1, 2] } });
    expect(again.calls.embed).toBe(0);
    // One command from the client: the Lua script (EVALSHA) reads both stamps and the entry.
    const stats = await admin.info("commandstats");
    const clientCalls = [...stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].filter(([, cmd]) => !["config", "info", "ping", "mget", "get"].includes(cmd!));
    expect(clientCalls.map(([, cmd, n]) => `${cmd}=${n}`)).toEqual(["evalsha=1"]);

    expect(await metric(registry, "semantic_cache_hits_total", { variant: "A", kind: "exact" })).toBe(1);
    expect(await metric(registry, "semantic_cache_misses_total", { variant: "A" })).toBe(1);
    expect(await metric(registry, "semantic_cache_errors_total")).toBe(0);
    expect(await metric(registry, "redis_ping_ok")).toBe(1);
    const latency = await metric(registry, "redis_latency_seconds");
    expect(latency).toBeGreaterThan(0);
    expect(latency).toBeLessThan(1);
    const text = await registry.metrics();
    for (const name of ["semantic_cache_hits_total", "semantic_cache_misses_total", "semantic_cache_errors_total", "redis_ping_ok", "redis_latency_seconds"])
      expect(text).toContain(`# TYPE ${name}`);
  });

  it("a similar question above the threshold is a semantic hit; below it, a miss", async () => {
    const { cache, registry } = await make({ redisUrl: server.url, similarity: 0.95 });
    await fill(cache, "how do flakes pin inputs", turned(0), { answer: "lock file" });

    const close = ask("how do nix flakes pin their inputs", turned(angleFor(0.97)));
    const r = await cache.lookup(close.req);
    expect(r).toMatchObject({ hit: true, kind: "semantic", entry: { answer: "lock file" } });
    if (r.hit) expect(r.similarity).toBeCloseTo(0.97, 4);
    expect(close.calls.embed).toBe(1);
    // The similar question was copied under its own hash: next time an exact hit.
    await expect.poll(() => cache.lookup(ask("how do nix flakes pin their inputs", [1]).req)).toMatchObject({ hit: true, kind: "exact" });

    const far = ask("what is a derivation", turned(angleFor(0.9)));
    expect(await cache.lookup(far.req)).toMatchObject({ hit: false, reason: "below_threshold" });
    const orthogonal = ask("unrelated", turned(0, 5));
    expect(await cache.lookup(orthogonal.req)).toMatchObject({ hit: false, reason: "below_threshold" });
    const otherDims = ask("other model", [1, 0, 0]);
    expect(await cache.lookup(otherDims.req)).toMatchObject({ hit: false, reason: "miss" });
    expect(await metric(registry, "semantic_cache_hits_total", { kind: "semantic" })).toBe(1);

    // Without embed(): exact only.
    const exactOnly = ask("how do nix flakes pin inputs?", turned(0));
    delete exactOnly.req.embed;
    expect(await cache.lookup(exactOnly.req)).toMatchObject({ hit: false, reason: "miss" });
  });

  it("keeps projects apart, including all-projects queries, with any project name", async () => {
    const { cache } = await make({ redisUrl: server.url });
    const odd = "team: *weird* {project} " + "x".repeat(150);
    await fill(cache, "q", turned(0), { answer: "alpha" }, { project: "alpha" });
    await fill(cache, "q", turned(0), { answer: "odd" }, { project: odd });
    await fill(cache, "q", turned(0), { answer: "all" });
    expect(await cache.lookup(ask("q", turned(0), { project: "alpha" }).req)).toMatchObject({ hit: true, entry: { answer: "alpha" } });
    expect(await cache.lookup(ask("q", turned(0), { project: odd }).req)).toMatchObject({ hit: true, entry: { answer: "odd" } });
    expect(await cache.lookup(ask("q", turned(0)).req)).toMatchObject({ hit: true, entry: { answer: "all" } });
    expect(await cache.lookup(ask("q", turned(0), { project: "beta" }).req)).toMatchObject({ hit: false });
    // Project names never reach a key as such.
    const keys = await admin.keys("*");
    expect(keys.some((k) => k.includes("alpha") || k.includes("weird"))).toBe(false);
  });

  it("keeps variants apart", async () => {
    const { cache } = await make({ redisUrl: server.url });
    await fill(cache, "q", turned(0), { answer: "from A" }, { variant: "A" });
    expect(await cache.lookup(ask("q", turned(0), { variant: "B" }).req)).toMatchObject({ hit: false });
    await fill(cache, "q", turned(0), { answer: "from B" }, { variant: "B" });
    for (const variant of ["A", "B"] as Variant[])
      expect(await cache.lookup(ask("q", turned(0), { variant }).req)).toMatchObject({ hit: true, entry: { answer: `from ${variant}` } });
  });

  it("a project stamp bump invalidates that project and all-projects queries, not other projects", async () => {
    const { cache } = await make({ redisUrl: server.url });
    await fill(cache, "q", turned(0), { answer: "alpha" }, { project: "alpha" });
    await fill(cache, "q", turned(0), { answer: "beta" }, { project: "beta" });
    await fill(cache, "q", turned(0), { answer: "all" });
    await stamps.bumpProjects(["alpha"]);
    expect(await admin.get(corpusStampKey("alpha"))).toBe("1");
    expect(await cache.lookup(ask("q", turned(0), { project: "alpha" }).req)).toMatchObject({ hit: false, stamps: { corpus: "1", fusion: "0" } });
    expect(await cache.lookup(ask("q", turned(angleFor(0.99)), { project: "alpha" }).req)).toMatchObject({ hit: false });
    expect(await cache.lookup(ask("q", turned(0)).req)).toMatchObject({ hit: false });
    expect(await cache.lookup(ask("q", turned(0), { project: "beta" }).req)).toMatchObject({ hit: true, entry: { answer: "beta" } });
    // And the new scope fills again.
    await fill(cache, "q", turned(0), { answer: "alpha v2" }, { project: "alpha" });
    expect(await cache.lookup(ask("q", turned(0), { project: "alpha" }).req)).toMatchObject({ hit: true, entry: { answer: "alpha v2" } });
  });

  it("a fusion stamp bump invalidates every scope", async () => {
    const { cache } = await make({ redisUrl: server.url });
    await fill(cache, "q", turned(0), { answer: "alpha" }, { project: "alpha" });
    await fill(cache, "q", turned(0), { answer: "all" }, { variant: "B" });
    await stamps.bumpFusion();
    expect(await admin.get(FUSION_STAMP_KEY)).toBe("1");
    expect(await cache.lookup(ask("q", turned(0), { project: "alpha" }).req)).toMatchObject({ hit: false, stamps: { fusion: "1" } });
    expect(await cache.lookup(ask("q", turned(0), { variant: "B" }).req)).toMatchObject({ hit: false });
  });

  it("an answer computed before a bump is not served after it (stamps passed back or remembered)", async () => {
    const { cache } = await make({ redisUrl: server.url });
    // Passed back explicitly.
    const a = ask("q1", turned(0), { project: "alpha" });
    const missA = await cache.lookup(a.req);
    await stamps.bumpProjects(["alpha"]); // an ingest lands while the answer is computed
    await cache.store({ project: "alpha", variant: "A", queryHash: a.req.queryHash, entry: { answer: "stale" }, stamps: missA.hit ? undefined : missA.stamps });
    expect(await cache.lookup(ask("q1", turned(0), { project: "alpha" }).req)).toMatchObject({ hit: false });

    // Remembered from the lookup (store without stamps, embedding from the lookup).
    const b = ask("q2", turned(0, 3), { project: "alpha" });
    await cache.lookup(b.req);
    await stamps.bumpFusion();
    await cache.store({ project: "alpha", variant: "A", queryHash: b.req.queryHash, entry: { answer: "stale" } });
    expect(await cache.lookup(ask("q2", turned(0, 3), { project: "alpha" }).req)).toMatchObject({ hit: false });
    expect(await cache.lookup(ask("q2-similar", turned(0.01, 3), { project: "alpha" }).req)).toMatchObject({ hit: false });

    // Two concurrent lookups saw different stamps: which one an answer belongs to is unknown, so nothing is stored.
    const c = ask("q3", turned(0), { project: "alpha" });
    await cache.lookup(c.req);
    await stamps.bumpProjects(["alpha"]);
    await cache.lookup(c.req);
    await cache.store({ project: "alpha", variant: "A", queryHash: c.req.queryHash, entry: { answer: "?" } });
    expect(await admin.keys(`semcache:*:q:${c.req.queryHash}`)).toEqual([]);

    // A store with no lookup before it has no stamps: nothing is stored.
    await cache.store({ project: "alpha", variant: "A", queryHash: hashOf("never looked up"), entry: { answer: "?" } });
    expect(await admin.keys(`semcache:*:q:${hashOf("never looked up")}`)).toEqual([]);

    // The remembered path stores when nothing changed, with the lookup's embedding for semantic hits.
    const d = ask("q4", turned(0, 7), { project: "alpha" });
    await cache.lookup(d.req);
    await cache.store({ project: "alpha", variant: "A", queryHash: d.req.queryHash, entry: { answer: "fresh" } });
    expect(await cache.lookup(ask("q4", turned(0, 7), { project: "alpha" }).req)).toMatchObject({ hit: true, kind: "exact" });
    expect(await cache.lookup(ask("q4 similar", turned(0.05, 7), { project: "alpha" }).req)).toMatchObject({ hit: true, kind: "semantic", entry: { answer: "fresh" } });
  });

  it("refuses entries over the byte limit", async () => {
    const { cache } = await make({ redisUrl: server.url, maxEntryBytes: 1024 });
    await fill(cache, "big", turned(0), { answer: "x".repeat(2000) });
    expect(await cache.lookup(ask("big", turned(0)).req)).toMatchObject({ hit: false });
    await fill(cache, "small", turned(0, 2), { answer: "x".repeat(500) });
    expect(await cache.lookup(ask("small", turned(0, 2)).req)).toMatchObject({ hit: true });
    // Not JSON-serialisable: refused, not thrown.
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const { req } = ask("cyclic", turned(0, 4));
    const r = await cache.lookup(req);
    await cache.store({ variant: "A", queryHash: req.queryHash, entry: cyclic, stamps: r.hit ? undefined : r.stamps });
  });

  it("keeps at most maxEntriesPerScope vectors per scope, all keys with a TTL", async () => {
    const { cache } = await make({ redisUrl: server.url, maxEntriesPerScope: 3, ttlSeconds: 600 });
    for (let i = 0; i < 5; i++) await fill(cache, `q${i}`, turned(0, i), { i });
    const [list] = await admin.keys("semcache:*:recent");
    expect(await admin.llen(list!)).toBe(3);
    for (const key of await admin.keys("semcache:*")) {
      const ttl = await admin.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600);
    }
    // The oldest vectors fell out of the list: only their exact keys remain.
    expect(await cache.lookup(ask("q0 similar", turned(0.01, 0)).req)).toMatchObject({ hit: false });
    expect(await cache.lookup(ask("q4 similar", turned(0.01, 4)).req)).toMatchObject({ hit: true, kind: "semantic", entry: { i: 4 } });
    // Storing the same query again does not duplicate its vector.
    const q4 = ask("q4", turned(0, 4));
    await cache.store({ variant: "A", queryHash: q4.req.queryHash, entry: { i: 4 }, embedding: turned(0, 4), stamps: { corpus: "0", fusion: "0" } });
    expect(await admin.llen(list!)).toBe(3);
  });
});

describe.skipIf(!hasRedisServer())("Redis killed mid-test", () => {
  it("misses fast and degraded, store does not throw, logs once, and recovers on the same port", async () => {
    const server = await startRedis();
    try {
      const { cache, registry, cap } = await make({ redisUrl: server.url, probeIntervalMs: 100 });
      await fill(cache, "q", turned(0), { answer: "cached" });
      expect(await cache.lookup(ask("q", turned(0)).req)).toMatchObject({ hit: true });

      await server.kill();
      let embeds = 0;
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        const { req, calls } = ask("q", turned(0));
        const r = await cache.lookup(req);
        expect(r).toMatchObject({ hit: false, reason: expect.stringMatching(/^redis_(unavailable|error)/) });
        await cache.store({ variant: "A", queryHash: req.queryHash, entry: { answer: "x" }, stamps: { corpus: "0", fusion: "0" }, embedding: turned(0) });
        embeds += calls.embed;
        expect(performance.now() - t0).toBeLessThan(200);
      }
      expect(embeds).toBe(0);
      const status = cache.status();
      expect(status).toMatchObject({ enabled: true, healthy: false });
      expect(status.reason).toBeTruthy();
      expect(cap.lines().filter((l) => l.semantic_cache_degraded === true)).toHaveLength(1);
      expect(await metric(registry, "semantic_cache_errors_total")).toBeGreaterThanOrEqual(40);
      expect(await metric(registry, "redis_ping_ok")).toBe(0);

      const again = await startRedis({ port: server.port });
      try {
        await expect.poll(() => cache.status().healthy, { timeout: 8000, interval: 100 }).toBe(true);
        expect(cap.lines().filter((l) => l.semantic_cache_recovered === true)).toHaveLength(1);
        // The killed server lost its data (and the script cache): a miss, then hits again.
        expect(await cache.lookup(ask("q", turned(0)).req)).toMatchObject({ hit: false, reason: "miss" });
        await fill(cache, "q2", turned(0, 1), { answer: "after" });
        expect(await cache.lookup(ask("q2", turned(0, 1)).req)).toMatchObject({ hit: true, kind: "exact", entry: { answer: "after" } });
        expect(await cache.lookup(ask("q2 similar", turned(0.02, 1)).req)).toMatchObject({ hit: true, kind: "semantic" });
        await expect.poll(() => metric(registry, "redis_ping_ok"), { timeout: 2000 }).toBe(1);
        expect(cap.lines().filter((l) => l.semantic_cache_degraded === true)).toHaveLength(1);
      } finally {
        await cache.close();
        await again.stop();
      }
    } finally {
      await server.stop();
    }
  });

  it("a stalled Redis (SIGSTOP) costs one command timeout, then lookups skip it until it answers", async () => {
    const server = await startRedis();
    try {
      const { cache } = await make({ redisUrl: server.url, probeIntervalMs: 100 });
      await fill(cache, "q", turned(0), { answer: "cached" });
      process.kill(server.pid, "SIGSTOP");
      try {
        const t0 = performance.now();
        expect(await cache.lookup(ask("q", turned(0)).req)).toMatchObject({ hit: false });
        expect(performance.now() - t0).toBeLessThan(1000);
        const t1 = performance.now();
        for (let i = 0; i < 10; i++) expect(await cache.lookup(ask("q", turned(0)).req)).toMatchObject({ hit: false });
        expect(performance.now() - t1).toBeLessThan(200);
        expect(cache.status().healthy).toBe(false);
      } finally {
        process.kill(server.pid, "SIGCONT");
      }
      await expect.poll(async () => (await cache.lookup(ask("q", turned(0)).req)).hit, { timeout: 8000, interval: 200 }).toBe(true);
      expect(cache.status().healthy).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it("starts degraded when Redis is unreachable, without throwing or waiting long", async () => {
    const server = await startRedis();
    const url = server.url;
    await server.stop();
    const t0 = performance.now();
    const { cache, cap } = await make({ redisUrl: url });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(cache.status()).toMatchObject({ enabled: true, healthy: false });
    expect(await cache.lookup(ask("q", turned(0)).req)).toMatchObject({ hit: false });
    await cache.store({ variant: "A", queryHash: hashOf("q"), entry: {}, stamps: { corpus: "0", fusion: "0" } });
    expect(cap.lines().filter((l) => l.semantic_cache_degraded === true)).toHaveLength(1);
  });
});
