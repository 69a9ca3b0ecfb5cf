import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddingCache, EmbeddingFingerprint } from "../../../services/aidb/embeddingCache/EmbeddingCache.js";
import { createEmbeddingCache } from "../../../services/aidb/embeddingCache/createEmbeddingCache.js";
import { embeddingKey, keyPrefix, modelTag } from "../../../services/aidb/embeddingCache/embeddingCacheKeys.js";
import { captureLogger } from "../../helpers/captureLogger.js";
import { hasRedisServer, startRedis, type RedisServer } from "../../helpers/startRedis.js";

const DIM = 8;
const fpA: EmbeddingFingerprint = { name: "embed-a", sha256: "a".repeat(64), dimensions: DIM };
const fpB: EmbeddingFingerprint = { name: "embed-b", sha256: "b".repeat(64), dimensions: DIM };

/** Vectors exactly representable in float32, so equality is exact. */
const vec = (seed: number) => Array.from({ length: DIM }, (_, i) => (seed * 8 + i) / 4 - 3.5);

const metricValue = async (registry: Registry, name: string) => {
  const m = registry.getSingleMetric(name);
  if (!m) return undefined;
  const data = await m.get();
  return data.values[0]?.value ?? 0;
};

const open: EmbeddingCache[] = [];
async function make(opts: Partial<Parameters<typeof createEmbeddingCache>[0]> = {}) {
  const cap = captureLogger("aidb");
  const registry = new Registry();
  const cache = await createEmbeddingCache({ fingerprint: fpA, epoch: 1, logger: cap.logger, registry, ...opts });
  open.push(cache);
  return { cache, registry, cap };
}
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

describe("embedding cache keys", () => {
  it("puts the model tag, epoch and text hash into the key", () => {
    const tag = modelTag(fpA);
    expect(tag).toMatch(/^m[0-9a-f]{16}$/);
    expect(modelTag({ ...fpA })).toBe(tag);
    expect(modelTag(fpB)).not.toBe(tag);
    expect(modelTag({ ...fpA, dimensions: DIM + 1 })).not.toBe(tag);
    expect(embeddingKey(keyPrefix(fpA, 3), "hello")).toBe(
      // sha256("hello")
      `embedding:${tag}:e3:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824`,
    );
  });
});

describe("in-process LRU (no redisUrl)", () => {
  it("misses, then hits after setMany, with hit/miss metrics", async () => {
    const { cache, registry } = await make();
    expect(cache.status()).toEqual({ backend: "memory", ok: true, degraded: false });
    expect(await cache.getMany(["a", "b"])).toEqual([undefined, undefined]);
    await cache.setMany([["a", vec(1)]]);
    expect(await cache.getMany(["a", "b", "a"])).toEqual([vec(1), undefined, vec(1)]);
    expect(await metricValue(registry, "embedding_cache_hits_total")).toBe(2);
    expect(await metricValue(registry, "embedding_cache_misses_total")).toBe(3);
  });

  it("evicts the least recently used entry beyond maxEntries", async () => {
    const { cache } = await make({ maxEntries: 2 });
    await cache.setMany([["a", vec(1)], ["b", vec(2)]]);
    await cache.getMany(["a"]); // a is now the most recently used
    await cache.setMany([["c", vec(3)]]);
    expect(await cache.getMany(["a", "b", "c"])).toEqual([vec(1), undefined, vec(3)]);
  });

  it("stores float32 precision and ignores vectors of the wrong length", async () => {
    const { cache } = await make();
    await cache.setMany([["x", [0.1, 0, 0, 0, 0, 0, 0, 0]], ["bad", [1, 2, 3]]]);
    const [x, bad] = await cache.getMany(["x", "bad"]);
    expect(x![0]).toBe(Math.fround(0.1));
    expect(bad).toBeUndefined();
  });

  it("reuses its metrics when a second cache is built on the same registry (model reload)", async () => {
    const first = await make();
    const second = await createEmbeddingCache({ fingerprint: fpB, epoch: 1, logger: first.cap.logger, registry: first.registry });
    open.push(second);
    await first.cache.getMany(["a"]);
    await second.getMany(["a"]);
    expect(await metricValue(first.registry, "embedding_cache_misses_total")).toBe(2);
  });

  it("treats an empty redisUrl as none", async () => {
    const { cache } = await make({ redisUrl: "" });
    expect(cache.status().backend).toBe("memory");
  });

  it("refuses invalid options, naming the field", async () => {
    await expect(make({ redisUrl: "http://localhost:6379" })).rejects.toThrow(/embeddingCache\.redisUrl/);
    await expect(make({ fingerprint: { ...fpA, dimensions: 0 } })).rejects.toThrow(/embeddingCache\.fingerprint\.dimensions/);
    await expect(make({ epoch: -1 })).rejects.toThrow(/embeddingCache\.epoch/);
  });
});

describe.skipIf(!hasRedisServer())("Redis backend (real redis-server on loopback)", () => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it("misses, hits after setMany, stores float32 bytes under the documented key", async () => {
    await admin.flushall();
    const { cache, registry } = await make({ redisUrl: server.url });
    expect(cache.status()).toMatchObject({ backend: "redis", ok: true, degraded: false });
    expect(await cache.getMany(["alpha", "beta"])).toEqual([undefined, undefined]);
    await cache.setMany([["alpha", vec(1)], ["beta", vec(2)]]);
    expect(await cache.getMany(["beta", "gamma", "alpha"])).toEqual([vec(2), undefined, vec(1)]);
    const raw = await admin.getBuffer(embeddingKey(keyPrefix(fpA, 1), "alpha"));
    expect(raw?.length).toBe(DIM * 4);
    expect(await admin.ttl(embeddingKey(keyPrefix(fpA, 1), "alpha"))).toBeGreaterThan(0);
    expect(await metricValue(registry, "embedding_cache_hits_total")).toBe(2);
    expect(await metricValue(registry, "embedding_cache_misses_total")).toBe(3);
    expect(await metricValue(registry, "embedding_cache_errors_total")).toBe(0);
    expect(await metricValue(registry, "redis_ping_ok")).toBe(1);
    const latency = await metricValue(registry, "redis_latency_seconds");
    expect(latency).toBeGreaterThan(0);
    expect(latency).toBeLessThan(1);
    const text = await registry.metrics();
    for (const name of ["embedding_cache_hits_total", "embedding_cache_misses_total", "embedding_cache_errors_total", "redis_ping_ok", "redis_latency_seconds"])
      expect(text).toContain(`# TYPE ${name}`);
  });

  it("an epoch bump turns old entries into misses and removes them at start-up", async () => {
    await admin.flushall();
    const first = await make({ redisUrl: server.url, epoch: 1 });
    await first.cache.setMany([["alpha", vec(1)]]);
    expect(await first.cache.getMany(["alpha"])).toEqual([vec(1)]);
    await first.cache.close();

    const second = await make({ redisUrl: server.url, epoch: 2 });
    expect(await second.cache.getMany(["alpha"])).toEqual([undefined]);
    expect(await admin.exists(embeddingKey(keyPrefix(fpA, 1), "alpha"))).toBe(0);
    expect(second.cap.lines()).toContainEqual(expect.objectContaining({ embedding_cache_flush: true, reason: "epoch_changed" }));
    await second.cache.setMany([["alpha", vec(5)]]);
    expect(await second.cache.getMany(["alpha"])).toEqual([vec(5)]);
  });

  it("a model change deletes the old prefix's keys and leaves other keys alone", async () => {
    await admin.flushall();
    const first = await make({ redisUrl: server.url, fingerprint: fpA });
    const texts = Array.from({ length: 1200 }, (_, i) => `chunk ${i}`);
    await first.cache.setMany(texts.map((t, i) => [t, vec(i)]));
    await first.cache.close();
    await admin.set("unrelated:key", "keep me");
    await admin.set("embedding:notes", "keep me too");
    const oldPattern = `embedding:${modelTag(fpA)}:*`;
    expect((await admin.keys(oldPattern)).length).toBe(1200);

    const second = await make({ redisUrl: server.url, fingerprint: fpB });
    expect(await admin.keys(oldPattern)).toEqual([]);
    expect(await admin.get("unrelated:key")).toBe("keep me");
    expect(await admin.get("embedding:notes")).toBe("keep me too");
    const flush = second.cap.lines().find((l) => l.embedding_cache_flush === true);
    expect(flush).toMatchObject({ reason: "model_changed", from: modelTag(fpA), to: modelTag(fpB), deleted: 1200 });
    expect(await second.cache.getMany(["chunk 1"])).toEqual([undefined]);
  });

  it("keeps a same-model, same-epoch cache across restarts (no flush)", async () => {
    await admin.flushall();
    const first = await make({ redisUrl: server.url });
    await first.cache.setMany([["alpha", vec(1)]]);
    await first.cache.close();
    const second = await make({ redisUrl: server.url });
    expect(await second.cache.getMany(["alpha"])).toEqual([vec(1)]);
    expect(second.cap.lines().some((l) => l.embedding_cache_flush)).toBe(false);
  });

  it("ignores a tampered marker instead of deleting by its pattern", async () => {
    await admin.flushall();
    await admin.set("embedding:current-model", JSON.stringify({ model: "*", epoch: 1 }));
    await admin.set("embedding:other", "x");
    const { cap } = await make({ redisUrl: server.url });
    expect(await admin.get("embedding:other")).toBe("x");
    expect(cap.lines().some((l) => l.embedding_cache_flush)).toBe(false);
  });
});

describe.skipIf(!hasRedisServer())("Redis killed mid-test", () => {
  it("degrades to fast misses, logs once, counts errors, and recovers on the same port", async () => {
    const server = await startRedis();
    try {
      const { cache, registry, cap } = await make({ redisUrl: server.url, probeIntervalMs: 100 });
      await cache.setMany([["alpha", vec(1)]]);
      expect(await cache.getMany(["alpha"])).toEqual([vec(1)]);

      await server.kill();
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        expect(await cache.getMany(["alpha", "beta"])).toEqual([undefined, undefined]);
        await cache.setMany([["beta", vec(2)]]);
        expect(performance.now() - t0).toBeLessThan(200);
      }
      const status = cache.status();
      expect(status).toMatchObject({ backend: "redis", ok: false, degraded: true });
      expect(status.detail).toBeTruthy();
      const degradedLines = cap.lines().filter((l) => l.embedding_cache_degraded === true);
      expect(degradedLines).toHaveLength(1);
      expect(await metricValue(registry, "embedding_cache_errors_total")).toBeGreaterThanOrEqual(40);
      expect(await metricValue(registry, "redis_ping_ok")).toBe(0);

      const again = await startRedis({ port: server.port });
      try {
        await expect.poll(() => cache.status().ok, { timeout: 8000, interval: 100 }).toBe(true);
        expect(cap.lines().filter((l) => l.embedding_cache_recovered === true)).toHaveLength(1);
        // The killed server lost its data: a miss, then a working cache.
        expect(await cache.getMany(["alpha"])).toEqual([undefined]);
        await cache.setMany([["alpha", vec(3)]]);
        expect(await cache.getMany(["alpha"])).toEqual([vec(3)]);
        await expect.poll(() => metricValue(registry, "redis_ping_ok"), { timeout: 2000 }).toBe(1);
        expect(cap.lines().filter((l) => l.embedding_cache_degraded === true)).toHaveLength(1);
      } finally {
        await cache.close();
        await again.stop();
      }
    } finally {
      await server.stop();
    }
  });

  it("a stalled Redis (SIGSTOP) costs one command timeout, then requests skip it until it answers again", async () => {
    const server = await startRedis();
    try {
      const { cache, registry, cap } = await make({ redisUrl: server.url, probeIntervalMs: 100 });
      await cache.setMany([["alpha", vec(1)]]);
      process.kill(server.pid, "SIGSTOP");
      try {
        const t0 = performance.now();
        expect(await cache.getMany(["alpha"])).toEqual([undefined]);
        const first = performance.now() - t0;
        expect(first).toBeLessThan(1000);
        const t1 = performance.now();
        for (let i = 0; i < 10; i++) expect(await cache.getMany(["alpha"])).toEqual([undefined]);
        expect(performance.now() - t1).toBeLessThan(200);
        expect(cache.status()).toMatchObject({ ok: false, degraded: true });
        expect(await metricValue(registry, "embedding_cache_errors_total")).toBeGreaterThanOrEqual(11);
      } finally {
        process.kill(server.pid, "SIGCONT");
      }
      await expect.poll(async () => (await cache.getMany(["alpha"]))[0], { timeout: 8000, interval: 200 }).toEqual(vec(1));
      expect(cache.status().ok).toBe(true);
      expect(cap.lines().filter((l) => l.embedding_cache_degraded === true)).toHaveLength(1);
      expect(cap.lines().filter((l) => l.embedding_cache_recovered === true)).toHaveLength(1);
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
    expect(cache.status()).toMatchObject({ ok: false, degraded: true });
    expect(await cache.getMany(["a"])).toEqual([undefined]);
    await cache.setMany([["a", vec(1)]]);
    expect(cap.lines().filter((l) => l.embedding_cache_degraded === true)).toHaveLength(1);
  });
});
