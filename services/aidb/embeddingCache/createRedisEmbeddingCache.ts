import { Redis } from "ioredis";
import type { Logger } from "pino";
import { z } from "zod";
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

/**
 * Timeouts: a cache must never make a request slower than having no cache.
 * Commands are refused at once while disconnected (no offline queue, no
 * retries), and a reply slower than COMMAND_TIMEOUT_MS counts as a failure.
 */
const CONNECT_TIMEOUT_MS = 1000;
const COMMAND_TIMEOUT_MS = 300;
const SCAN_BATCH = 500;
/**
 * After a failed command on a connection that still looks open (a stalled
 * or overloaded Redis), requests skip Redis for this long before one tries
 * again, so a slow Redis costs one COMMAND_TIMEOUT_MS per second at most.
 */
const RETRY_AFTER_FAILURE_MS = 1000;

/** What the marker key holds; it comes from outside, so it is checked. */
const markerSchema = z.object({
  model: z.string().regex(/^m[0-9a-f]{16}$/),
  epoch: z.number().int().nonnegative(),
});

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function createRedisEmbeddingCache(opts: RedisEmbeddingCacheOptions): Promise<EmbeddingCache> {
  const { logger, metrics, probes } = opts;
  const prefix = `embedding:${opts.modelTag}:e${opts.epoch}:`;
  const log = logger.child({ component: "embedding_cache", backend: "redis" });

  const client = new Redis(opts.redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    // Keep trying in the background, at most every 2 s.
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  });

  // undefined while healthy; the reason while degraded.
  let degradedReason: string | undefined;
  let closed = false;
  let lastFailureAt = 0;

  /** Logs the first failure only; every failed operation is counted. */
  const markDown = (reason: string, countAsError: boolean, attempted = true) => {
    if (countAsError) metrics.errors.inc();
    // Only a real attempt restarts the wait; skipped requests do not.
    if (attempted) lastFailureAt = Date.now();
    probes.pingOk.set(0);
    if (degradedReason !== undefined || closed) return;
    degradedReason = reason;
    log.warn({ embedding_cache_degraded: true, reason }, "embedding cache unavailable; continuing without it");
  };
  const markUp = () => {
    if (degradedReason === undefined) return;
    log.info({ embedding_cache_recovered: true, after: degradedReason }, "embedding cache available again");
    degradedReason = undefined;
  };
  const unavailable = () => degradedReason ?? `redis ${client.status}`;
  /** Whether a request should try Redis now. */
  const usable = () =>
    client.status === "ready" && (degradedReason === undefined || Date.now() - lastFailureAt >= RETRY_AFTER_FAILURE_MS);

  client.on("error", (err) => markDown(describe(err), false));
  client.on("close", () => {
    if (!closed) markDown("connection closed", false);
  });

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
      .catch((err) => markDown(`start-up check failed: ${describe(err)}`, true))
      .finally(() => {
        reconciling = undefined;
      });
    return reconciling;
  };

  let probing: Promise<void> | undefined;
  const probe = () => {
    if (closed) return Promise.resolve();
    probing ??= (async () => {
      if (client.status !== "ready") {
        probes.pingOk.set(0);
        return;
      }
      const t0 = process.hrtime.bigint();
      try {
        await client.ping();
        probes.latency.set(Number(process.hrtime.bigint() - t0) / 1e9);
        probes.pingOk.set(1);
        markUp();
      } catch (err) {
        markDown(describe(err), false);
      }
    })().finally(() => {
      probing = undefined;
    });
    return probing;
  };

  client.on("ready", () => {
    markUp();
    probes.pingOk.set(1);
    // On every (re)connect: the Redis may have been replaced or another
    // instance may have written its marker meanwhile.
    void runReconcile();
  });

  try {
    await client.connect();
    await runReconcile();
    await probe();
  } catch (err) {
    // Start without the cache; ioredis keeps reconnecting in the background.
    markDown(describe(err), true);
  }

  const timer = setInterval(() => void probe(), opts.probeIntervalMs);
  timer.unref();

  const status = (): EmbeddingCacheStatus => {
    void probe();
    const ok = degradedReason === undefined && client.status === "ready";
    return ok ? { backend: "redis", ok, degraded: false } : { backend: "redis", ok, degraded: true, detail: unavailable() };
  };

  return {
    async getMany(texts) {
      if (texts.length === 0) return [];
      const none = () => {
        metrics.misses.inc(texts.length);
        return texts.map(() => undefined);
      };
      if (!usable()) {
        markDown(unavailable(), true, false);
        return none();
      }
      let buffers: (Buffer | null)[];
      try {
        buffers = await client.mgetBuffer(texts.map((t) => embeddingKey(prefix, t)));
      } catch (err) {
        markDown(describe(err), true);
        return none();
      }
      markUp();
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
      if (!usable()) {
        markDown(unavailable(), true, false);
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
        markUp();
      } catch (err) {
        markDown(describe(err), true);
      }
    },

    status,

    async close() {
      closed = true;
      clearInterval(timer);
      if (client.status === "ready") {
        await Promise.race([client.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 500).unref())]);
      }
      client.disconnect();
    },
  };
}
