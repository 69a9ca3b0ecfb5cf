import type { Logger } from "pino";
import { Registry } from "prom-client";
import { z } from "zod";
import { ConfigError } from "../../shared/config/ConfigError.js";
import { formatZodIssues } from "../../shared/formatZodIssues.js";
import type { EmbeddingCache, EmbeddingFingerprint } from "./EmbeddingCache.js";
import { createMemoryEmbeddingCache } from "./createMemoryEmbeddingCache.js";
import { createRedisEmbeddingCache } from "./createRedisEmbeddingCache.js";
import { keyPrefix, modelTag } from "./embeddingCacheKeys.js";
import { embeddingCacheMetrics, redisProbeMetrics } from "./embeddingCacheMetrics.js";

export interface EmbeddingCacheOptions {
  /** redis:// or rediss:// URL; absent or empty: in-process LRU. */
  redisUrl?: string;
  fingerprint: EmbeddingFingerprint;
  /** Raising it turns every older entry into a miss. */
  epoch: number;
  /** LRU size of the in-process cache (default 10000 vectors). */
  maxEntries?: number;
  /** Expiry of Redis entries in seconds (default 30 days; 0: never). */
  ttlSeconds?: number;
  /** How often redis_ping_ok and redis_latency_seconds are refreshed (default 15 s). */
  probeIntervalMs?: number;
  logger: Logger;
  registry: Registry;
}

export const DEFAULT_MAX_ENTRIES = 10_000;
export const DEFAULT_TTL_SECONDS = 30 * 24 * 3600;
const DEFAULT_PROBE_INTERVAL_MS = 15_000;

const optionsSchema = z.object({
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  fingerprint: z.object({
    name: z.string().min(1),
    sha256: z.string().min(1),
    dimensions: z.number().int().positive(),
  }),
  epoch: z.number().int().nonnegative(),
  maxEntries: z.number().int().positive().default(DEFAULT_MAX_ENTRIES),
  ttlSeconds: z.number().int().nonnegative().default(DEFAULT_TTL_SECONDS),
  probeIntervalMs: z.number().int().positive().default(DEFAULT_PROBE_INTERVAL_MS),
});

/**
 * The embedding cache: Redis when a URL is given, otherwise an in-process
 * LRU. Keys are `embedding:m<model tag>:e<epoch>:<sha256(text)>`. Never
 * throws because of the backend; invalid options throw a ConfigError that
 * names the field.
 */
export async function createEmbeddingCache(opts: EmbeddingCacheOptions): Promise<EmbeddingCache> {
  const parsed = optionsSchema.safeParse(opts);
  if (!parsed.success) {
    const issues = formatZodIssues(parsed.error, "embeddingCache");
    throw new ConfigError(issues.map((i) => `${i.path}: ${i.message}`).join("; "));
  }
  if (!(opts.registry instanceof Registry)) throw new ConfigError("embeddingCache.registry: must be a prom-client Registry");
  const o = parsed.data;
  const metrics = embeddingCacheMetrics(opts.registry);
  const fingerprint: EmbeddingFingerprint = o.fingerprint;
  if (!o.redisUrl) {
    return createMemoryEmbeddingCache({
      prefix: keyPrefix(fingerprint, o.epoch),
      dimensions: fingerprint.dimensions,
      maxEntries: o.maxEntries,
      metrics,
    });
  }
  return createRedisEmbeddingCache({
    redisUrl: o.redisUrl,
    modelTag: modelTag(fingerprint),
    epoch: o.epoch,
    dimensions: fingerprint.dimensions,
    ttlSeconds: o.ttlSeconds,
    probeIntervalMs: o.probeIntervalMs,
    logger: opts.logger,
    metrics,
    probes: redisProbeMetrics(opts.registry),
  });
}
