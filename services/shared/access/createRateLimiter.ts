import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { createGuardedRedis, describeError, type GuardedRedis } from "../redis/createGuardedRedis.js";
import type { RiskTier } from "./accessScopes.js";
import { createMemoryBuckets, tokenBucketLua, type BucketResult, type BucketSpec } from "./tokenBuckets.js";

/** Calls per key: per risk tier in `windowMs`, all calls together in `perKeyWindowMs`, and documents ingested in `windowMs`. */
export interface RateLimits {
  windowMs: number;
  high: number;
  medium: number;
  low: number;
  perKey: number;
  perKeyWindowMs: number;
  ingestDocuments: number;
}

export type RateLimitReason = "rate_limit_exceeded" | "global_rate_limit_exceeded" | "ingest_rate_limit_exceeded";

export type RateDecision =
  | { ok: true }
  | {
      ok: false;
      reason: RateLimitReason;
      /** The limit that was reached, per `windowMs`. */
      limit: number;
      windowMs: number;
      /** Whole seconds until the call could pass (the Retry-After header), at least 1. */
      retryAfterS: number;
    };

export interface RateLimiter {
  /** One call at `tier`: its tier's bucket and the per-key bucket pay together, or neither does. */
  take(keyId: string, tier: RiskTier): Promise<RateDecision>;
  /** `documents` ingested by one call. */
  takeIngest(keyId: string, documents: number): Promise<RateDecision>;
  /** Where the buckets live now: redis, memory (no Redis configured) or fallback (Redis configured but unusable). */
  backend(): "redis" | "memory" | "fallback";
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  limits: RateLimits;
  /** Buckets shared by every service that uses this Redis; without it, buckets per process. */
  redisUrl?: string;
  logger: Logger;
  /** Called for every decision taken in this process because Redis was configured but unusable. */
  onFallback?: () => void;
}

type TakeTokens = (numKeys: number, ...args: (string | number)[]) => Promise<number[]>;

/**
 * Per-key token buckets: in Redis as one atomic Lua script (so every service
 * of the stack shares a key's budget), or in this process without Redis.
 * When Redis is configured but down, decisions fall back to buckets in this
 * process (counted with `onFallback`; they start full and are per process
 * until Redis is back) rather than refusing every call or letting every call
 * through.
 */
export async function createRateLimiter(opts: RateLimiterOptions): Promise<RateLimiter> {
  const { limits, logger } = opts;
  const memory = createMemoryBuckets();
  let redis: GuardedRedis | undefined;
  let lastBackend: "redis" | "memory" | "fallback" = opts.redisUrl ? "redis" : "memory";
  if (opts.redisUrl) {
    redis = createGuardedRedis({
      url: opts.redisUrl,
      log: logger.child({ component: "rate_limiter" }),
      degraded: { field: "rate_limit_fallback", message: "Redis unavailable: rate limits are kept in this process until it is back" },
      recovered: { field: "rate_limit_recovered", message: "Redis is back: rate limits are shared again" },
    });
    redis.client.defineCommand("aiStackTakeTokens", { lua: tokenBucketLua });
    await redis.connect();
  }
  const key = (keyId: string, bucket: string) => `ai-stack:ratelimit:${keyId}:${bucket}`;

  async function take(specs: BucketSpec[]): Promise<BucketResult> {
    if (redis) {
      if (redis.usable()) {
        try {
          const run = (redis.client as Redis & { aiStackTakeTokens: TakeTokens }).aiStackTakeTokens;
          const args = specs.flatMap((s) => [s.capacity, s.windowMs, s.cost]);
          const [index, retryAfterMs] = await run.call(redis.client, specs.length, ...specs.map((s) => s.key), ...args);
          redis.markUp();
          lastBackend = "redis";
          return index ? { denied: true, index: index - 1, retryAfterMs: retryAfterMs ?? limits.windowMs } : { denied: false };
        } catch (err) {
          redis.markDown(describeError(err));
        }
      } else {
        redis.markSkipped();
      }
      lastBackend = "fallback";
      opts.onFallback?.();
    }
    return memory.take(specs);
  }

  const decide = (result: BucketResult, specs: BucketSpec[], reasons: RateLimitReason[]): RateDecision => {
    if (!result.denied) return { ok: true };
    const spec = specs[result.index]!;
    return { ok: false, reason: reasons[result.index]!, limit: spec.capacity, windowMs: spec.windowMs, retryAfterS: Math.max(1, Math.ceil(result.retryAfterMs / 1000)) };
  };

  return {
    async take(keyId, tier) {
      const specs: BucketSpec[] = [
        { key: key(keyId, tier), capacity: limits[tier], windowMs: limits.windowMs, cost: 1 },
        { key: key(keyId, "all"), capacity: limits.perKey, windowMs: limits.perKeyWindowMs, cost: 1 },
      ];
      return decide(await take(specs), specs, ["rate_limit_exceeded", "global_rate_limit_exceeded"]);
    },
    async takeIngest(keyId, documents) {
      const spec: BucketSpec = { key: key(keyId, "ingest"), capacity: limits.ingestDocuments, windowMs: limits.windowMs, cost: documents };
      if (documents <= 0) return { ok: true };
      // A batch larger than the whole bucket could never pass: say so at once.
      if (documents > limits.ingestDocuments) {
        return { ok: false, reason: "ingest_rate_limit_exceeded", limit: limits.ingestDocuments, windowMs: limits.windowMs, retryAfterS: Math.ceil(limits.windowMs / 1000) };
      }
      return decide(await take([spec]), [spec], ["ingest_rate_limit_exceeded"]);
    },
    backend: () => lastBackend,
    close: async () => redis?.close(),
  };
}
