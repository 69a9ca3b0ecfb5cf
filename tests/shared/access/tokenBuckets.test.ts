import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRateLimiter, type RateLimits } from "../../../services/shared/access/createRateLimiter.js";
import { createMemoryBuckets } from "../../../services/shared/access/tokenBuckets.js";
import { captureLogger } from "../../helpers/captureLogger.js";
import { hasRedisServer, startRedis, type RedisServer } from "../../helpers/startRedis.js";

const limits: RateLimits = { windowMs: 60_000, high: 10, medium: 60, low: 600, perKey: 1000, perKeyWindowMs: 3_600_000, ingestDocuments: 100 };

describe("token buckets in this process", () => {
  it("lets the 10th call through, refuses the 11th with the time to wait, and is full again one window later", () => {
    let now = 1_000_000;
    const buckets = createMemoryBuckets(() => now);
    const spec = { key: "k", capacity: 10, windowMs: 60_000, cost: 1 };
    for (let i = 1; i <= 10; i++) expect(buckets.take([spec]), `call ${i}`).toEqual({ denied: false });
    expect(buckets.take([spec])).toEqual({ denied: true, index: 0, retryAfterMs: 6000 });
    now += 6000;
    expect(buckets.take([spec])).toEqual({ denied: false });
    now += 60_000;
    for (let i = 1; i <= 10; i++) expect(buckets.take([spec]), `after the window, call ${i}`).toEqual({ denied: false });
    expect(buckets.take([spec]).denied).toBe(true);
  });

  it("pays from every bucket or from none", () => {
    const now = 0;
    const buckets = createMemoryBuckets(() => now);
    const tier = { key: "tier", capacity: 5, windowMs: 1000, cost: 1 };
    const all = { key: "all", capacity: 2, windowMs: 1000, cost: 1 };
    expect(buckets.take([tier, all]).denied).toBe(false);
    expect(buckets.take([tier, all]).denied).toBe(false);
    expect(buckets.take([tier, all])).toMatchObject({ denied: true, index: 1 });
    // The refused call took nothing from the tier bucket: 3 of its 5 are left.
    for (let i = 0; i < 3; i++) expect(buckets.take([tier]).denied).toBe(false);
    expect(buckets.take([tier]).denied).toBe(true);
  });
});

const noRedis = !hasRedisServer();
if (noRedis) console.warn("tokenBuckets.test.ts: the Redis cases are skipped: redis-server is not installed");

describe.skipIf(noRedis)("the rate limiter on a real Redis", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => redis?.stop());

  it("shares a key's buckets between limiters (services) through the Lua script, per tier, and refills after the window", async () => {
    const windowMs = 1500;
    const a = await createRateLimiter({ limits: { ...limits, windowMs }, redisUrl: redis.url, logger: captureLogger().logger });
    const b = await createRateLimiter({ limits: { ...limits, windowMs }, redisUrl: redis.url, logger: captureLogger().logger });
    try {
      for (let i = 1; i <= 10; i++) expect(await (i % 2 ? a : b).take("key1", "high"), `call ${i}`).toEqual({ ok: true });
      const refused = await a.take("key1", "high");
      expect(refused).toMatchObject({ ok: false, reason: "rate_limit_exceeded", limit: 10, windowMs });
      expect(await b.take("key1", "high")).toMatchObject({ ok: false });
      expect(a.backend()).toBe("redis");
      // Another tier and another key have their own buckets.
      expect(await a.take("key1", "low")).toEqual({ ok: true });
      expect(await a.take("key2", "high")).toEqual({ ok: true });
      await new Promise((r) => setTimeout(r, windowMs + 50));
      for (let i = 1; i <= 10; i++) expect(await a.take("key1", "high"), `after the window, call ${i}`).toEqual({ ok: true });
      expect((await a.take("key1", "high")).ok).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("counts the per-key limit over every tier, and ingested documents by number", async () => {
    const l = await createRateLimiter({ limits: { ...limits, perKey: 3, ingestDocuments: 5 }, redisUrl: redis.url, logger: captureLogger().logger });
    try {
      expect((await l.take("g", "low")).ok).toBe(true);
      expect((await l.take("g", "medium")).ok).toBe(true);
      expect((await l.take("g", "high")).ok).toBe(true);
      expect(await l.take("g", "low")).toMatchObject({ ok: false, reason: "global_rate_limit_exceeded", limit: 3 });
      expect(await l.takeIngest("g", 4)).toEqual({ ok: true });
      expect(await l.takeIngest("g", 2)).toMatchObject({ ok: false, reason: "ingest_rate_limit_exceeded", limit: 5 });
      expect(await l.takeIngest("g", 1)).toEqual({ ok: true });
      expect(await l.takeIngest("other", 6)).toMatchObject({ ok: false, reason: "ingest_rate_limit_exceeded" });
    } finally {
      await l.close();
    }
  });

  it("falls back to buckets in this process while Redis is down, counting each decision, and goes back to Redis", async () => {
    const r2 = await startRedis();
    let fallbacks = 0;
    const l = await createRateLimiter({ limits: { ...limits, high: 2 }, redisUrl: r2.url, logger: captureLogger().logger, onFallback: () => fallbacks++ });
    try {
      expect((await l.take("f", "high")).ok).toBe(true);
      expect(fallbacks).toBe(0);
      await r2.kill();
      await new Promise((r) => setTimeout(r, 100));
      // Limits still hold (in this process): 2 pass, the 3rd is refused.
      expect((await l.take("f", "high")).ok).toBe(true);
      expect((await l.take("f", "high")).ok).toBe(true);
      expect((await l.take("f", "high")).ok).toBe(false);
      expect(fallbacks).toBe(3);
      expect(l.backend()).toBe("fallback");
    } finally {
      await l.close();
    }
  });
});
