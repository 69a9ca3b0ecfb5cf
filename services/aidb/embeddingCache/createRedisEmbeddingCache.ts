import type { Logger } from "pino";
import { z } from "zod";
import { createGuardedRedis, describeError } from "../../shared/redis/createGuardedRedis.js";
import type { EmbeddingCache, EmbeddingCacheStatus } from "./EmbeddingCache.js";
import type { EmbeddingCacheMetrics, RedisProbeMetrics } from "./embeddingCacheMetrics.js";
import { CURRENT_MODEL_KEY, decodeVector, embeddingKey, encodeVector } from "./embeddingCacheKeys.js";

export interface RedisEmbeddingCacheOptions {
  redisUrl: string;
  modelTag: string;
  epoch: number;
  dimensions: number;
  /** 0: keys never expire. */
  ttlSeconds: number;
  probeIntervalMs: number;
  logger: Logger;
  metrics: EmbeddingCacheMetrics;
  probes: RedisProbeMetrics;
}

const SCAN_BATCH = 500;

/** What the marker key holds; it comes from outside, so it is checked. */
const markerSchema = z.object({
  model: z.string().regex(/^m[0-9a-f]{16}$/),
  epoch: z.number().int().nonnegative(),
});

export async function createRedisEmbeddingCache(opts: RedisEmbeddingCacheOptions): Promise<EmbeddingCache> {
  const { logger, metrics, probes } = opts;
  const prefix = `embedding:${opts.modelTag}:e${opts.epoch}:`;
  const log = logger.child({ component: "embedding_cache", backend: "redis" });

  const redis = createGuardedRedis({
    url: opts.redisUrl,
    log,
    degraded: { field: "embedding_cache_degraded", message: "embedding cache unavailable; continuing without it" },
    recovered: { field: "embedding_cache_recovered", message: "embedding cache available again" },
    onCommandFailure: () => metrics.errors.inc(),
    ping: { pingOk: probes.pingOk, latency: probes.latency, intervalMs: opts.probeIntervalMs },
  });
  const { client } = redis;

  /** Deletes keys matching a pattern: SCAN + UNLINK in batches, never KEYS. */
  const deleteMatching = async (pattern: string) => {
    let cursor = "0";
    let deleted = 0;
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", SCAN_BATCH);
      cursor = next;
      if (keys.length) deleted += await client.unlink(...keys);
    } while (cursor !== "0");
    return deleted;
  };

  /**
   * Compares the marker left by the last user of this Redis with our model
   * and epoch, removes the keys that can no longer hit, and writes ours.
   */
  const reconcile = async () => {
    const raw = await client.get(CURRENT_MODEL_KEY);
    let previous: z.infer<typeof markerSchema> | undefined;
    if (raw !== null) {
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        json = undefined;
      }
      const parsed = markerSchema.safeParse(json);
      if (parsed.success) previous = parsed.data;
      else log.warn({ marker: raw.slice(0, 200) }, "ignoring an unreadable embedding cache marker");
    }
    if (previous && previous.model !== opts.modelTag) {
      const deleted = await deleteMatching(`embedding:${previous.model}:*`);
      log.info(
        { embedding_cache_flush: true, reason: "model_changed", from: previous.model, to: opts.modelTag, deleted },
        "embedding model changed; old cache entries removed",
      );
    } else if (previous && previous.epoch !== opts.epoch) {
      const deleted = await deleteMatching(`embedding:${previous.model}:e${previous.epoch}:*`);
      log.info(
        { embedding_cache_flush: true, reason: "epoch_changed", from: previous.epoch, to: opts.epoch, deleted },
        "embedding cache epoch changed; old cache entries removed",
      );
    }
    if (!previous || previous.model !== opts.modelTag || previous.epoch !== opts.epoch)
      await client.set(CURRENT_MODEL_KEY, JSON.stringify({ model: opts.modelTag, epoch: opts.epoch }));
  };

  let reconciling: Promise<void> | undefined;
  const runReconcile = () => {
    reconciling ??= reconcile()
      .catch((err) => redis.markDown(`start-up check failed: ${describeError(err)}`))
      .finally(() => {
        reconciling = undefined;
      });
    return reconciling;
  };

  client.on("ready", () => {
    // On every (re)connect: the Redis may have been replaced or another
    // instance may have written its marker meanwhile.
    void runReconcile();
  });

  await redis.connect(runReconcile);

  const status = (): EmbeddingCacheStatus => {
    void redis.probe();
    const ok = redis.healthy();
    return ok ? { backend: "redis", ok, degraded: false } : { backend: "redis", ok, degraded: true, detail: redis.unavailable() };
  };

  return {
    async getMany(texts) {
      if (texts.length === 0) return [];
      const none = () => {
        metrics.misses.inc(texts.length);
        return texts.map(() => undefined);
      };
      if (!redis.usable()) {
        redis.markSkipped();
        return none();
      }
      let buffers: (Buffer | null)[];
      try {
        buffers = await client.mgetBuffer(texts.map((t) => embeddingKey(prefix, t)));
      } catch (err) {
        redis.markDown(describeError(err));
        return none();
      }
      redis.markUp();
      let hits = 0;
      const out = buffers.map((b) => {
        const v = b ? decodeVector(b, opts.dimensions) : undefined;
        if (v) hits += 1;
        return v;
      });
      if (hits) metrics.hits.inc(hits);
      if (texts.length - hits) metrics.misses.inc(texts.length - hits);
      return out;
    },

    async setMany(entries) {
      const valid = entries.filter(([, v]) => v.length === opts.dimensions && v.every(Number.isFinite));
      if (valid.length === 0) return;
      if (!redis.usable()) {
        redis.markSkipped();
        return;
      }
      const pipeline = client.pipeline();
      for (const [text, vector] of valid) {
        const key = embeddingKey(prefix, text);
        if (opts.ttlSeconds > 0) pipeline.set(key, encodeVector(vector), "EX", opts.ttlSeconds);
        else pipeline.set(key, encodeVector(vector));
      }
      try {
        const results = await pipeline.exec();
        const failed = results?.find(([err]) => err);
        if (failed) throw failed[0];
        redis.markUp();
      } catch (err) {
        redis.markDown(describeError(err));
      }
    },

    status,

    close: redis.close,
  };
}
