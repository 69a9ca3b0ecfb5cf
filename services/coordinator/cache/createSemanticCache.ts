import type { Logger } from "pino";
import { Registry } from "prom-client";
import { z } from "zod";
import { ConfigError } from "../../shared/config/ConfigError.js";
import { formatZodIssues } from "../../shared/formatZodIssues.js";
import { createGuardedRedis, describeError } from "../../shared/redis/createGuardedRedis.js";
import { execMulti } from "../../shared/redis/execMulti.js";
import { FUSION_STAMP_KEY, corpusStampKeyFor } from "../../shared/cacheStamps/stampKeys.js";
import type { CacheStamps, CachedAnswer, LookupResult, SemanticCache, SemanticCacheStatus, Variant } from "./SemanticCache.js";
import { cosine, decodeRecent, encodeRecent, entryKey, keyHash, lookupScript, recentKey, scopeBase, scopeKey } from "./semanticCacheKeys.js";
import { redisProbeGauges, semanticCacheMetrics } from "./semanticCacheMetrics.js";

export interface SemanticCacheOptions {
  /** redis:// or rediss:// URL; absent or empty: the cache is disabled (every lookup misses). */
  redisUrl?: string;
  /** Cosine similarity from which a similar query is a hit (default 0.95). */
  similarity?: number;
  /** Newest query vectors kept per scope for the similarity search (default 200). */
  maxEntriesPerScope?: number;
  /** Lifetime of an entry (default 86400 s). */
  ttlSeconds?: number;
  /** Entries whose JSON is larger are not stored (default 256 KiB). */
  maxEntryBytes?: number;
  /** How often redis_ping_ok and redis_latency_seconds are refreshed (default 15 s). */
  probeIntervalMs?: number;
  logger: Logger;
  registry: Registry;
}

export const DEFAULT_SIMILARITY = 0.95;
export const DEFAULT_MAX_ENTRIES_PER_SCOPE = 200;
export const DEFAULT_TTL_SECONDS = 86_400;
export const DEFAULT_MAX_ENTRY_BYTES = 256 * 1024;

const optionsSchema = z.object({
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  similarity: z.number().min(0).max(1).default(DEFAULT_SIMILARITY),
  maxEntriesPerScope: z.number().int().positive().max(100_000).default(DEFAULT_MAX_ENTRIES_PER_SCOPE),
  ttlSeconds: z.number().int().positive().default(DEFAULT_TTL_SECONDS),
  maxEntryBytes: z.number().int().positive().default(DEFAULT_MAX_ENTRY_BYTES),
  probeIntervalMs: z.number().int().positive().default(15_000),
});

/** Stamps remembered from lookups for `store` calls that do not pass them back. */
const MEMO_MAX = 10_000;
const MEMO_TTL_MS = 10 * 60_000;

interface Memo {
  stamps: CacheStamps;
  embedding?: number[];
  at: number;
  /** Concurrent lookups saw different stamps: which one the answer belongs to is unknown. */
  conflicted: boolean;
}

type LookupCommand = (corpusKey: string, fusionKey: string, base: string, hash: string) => Promise<[string, string, string | null]>;

/**
 * The coordinator's semantic cache in Redis. Scope = (variant, project or
 * all, corpus stamp, fusion stamp); aidb bumps the stamps, so an ingest, a
 * delete or new fusion weights make older entries unreachable (TTL removes
 * them). A lookup by exact query hash is one round trip (a Lua script that
 * reads the stamps and the entry); only an exact miss embeds the query and
 * compares it with the scope's newest vectors. Never throws because of
 * Redis; invalid options throw a ConfigError naming the field.
 */
export async function createSemanticCache(opts: SemanticCacheOptions): Promise<SemanticCache> {
  const parsed = optionsSchema.safeParse(opts);
  if (!parsed.success) {
    const issues = formatZodIssues(parsed.error, "semanticCache");
    throw new ConfigError(issues.map((i) => `${i.path}: ${i.message}`).join("; "));
  }
  if (!(opts.registry instanceof Registry)) throw new ConfigError("semanticCache.registry: must be a prom-client Registry");
  const o = parsed.data;
  const metrics = semanticCacheMetrics(opts.registry);
  const log = opts.logger.child({ component: "semantic_cache" });

  if (!o.redisUrl) {
    const reason = "disabled: no redisUrl configured";
    log.info({ semantic_cache_disabled: true }, "semantic cache disabled (no Redis configured)");
    return {
      async lookup(q) {
        metrics.misses.inc({ variant: q.variant });
        return { hit: false, reason: "disabled" };
      },
      async store() {},
      status: () => ({ enabled: false, healthy: true, reason }),
      async close() {},
    };
  }

  const probes = redisProbeGauges(opts.registry);
  // Same policy as aidb's embedding cache: a cache must never be slower than no cache.
  const redis = createGuardedRedis({
    url: o.redisUrl,
    log,
    degraded: { field: "semantic_cache_degraded", message: "semantic cache unavailable; answering without it" },
    recovered: { field: "semantic_cache_recovered", message: "semantic cache available again" },
    onCommandFailure: () => metrics.errors.inc(),
    ping: { pingOk: probes.pingOk, latency: probes.latency, intervalMs: o.probeIntervalMs },
  });
  const { client } = redis;
  client.defineCommand("semcacheLookup", { numberOfKeys: 2, lua: lookupScript });
  const runLookup = (client as unknown as { semcacheLookup: LookupCommand }).semcacheLookup.bind(client);
  await redis.connect();

  // Stamps (and the embedding) of lookups that missed, for store calls that do not pass them back.
  const memos = new Map<string, Memo>();
  const memoKey = (variant: Variant, project: string | undefined, hash: string) => `${variant}\0${project === undefined ? "\u0001all" : project}\0${hash}`;
  const remember = (key: string, stamps: CacheStamps) => {
    const now = Date.now();
    const prev = memos.get(key);
    if (prev && now - prev.at < MEMO_TTL_MS) {
      if (prev.stamps.corpus !== stamps.corpus || prev.stamps.fusion !== stamps.fusion) prev.conflicted = true;
      prev.at = now;
      return prev;
    }
    memos.delete(key);
    const memo: Memo = { stamps, at: now, conflicted: false };
    memos.set(key, memo);
    if (memos.size > MEMO_MAX) memos.delete(memos.keys().next().value as string);
    return memo;
  };

  const miss = (variant: Variant, reason: string, stamps?: CacheStamps): LookupResult => {
    metrics.misses.inc({ variant });
    return stamps ? { hit: false, reason, stamps } : { hit: false, reason };
  };
  const hit = (variant: Variant, kind: "exact" | "semantic", entry: CachedAnswer, similarity: number): LookupResult => {
    metrics.hits.inc({ variant, kind });
    return { hit: true, entry, similarity, kind };
  };
  const parseEntry = (raw: string): CachedAnswer | undefined => {
    try {
      const v: unknown = JSON.parse(raw);
      return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as CachedAnswer) : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    async lookup(q) {
      const { variant } = q;
      if (!redis.usable()) {
        redis.markSkipped();
        return miss(variant, `redis_unavailable: ${redis.unavailable()}`);
      }
      const base = scopeBase(variant, q.project, q.namespace, q.model);
      const hash = keyHash(q.queryHash);
      let stamps: CacheStamps;
      let scope: string;
      try {
        const [corpus, fusion, raw] = await runLookup(corpusStampKeyFor(q.project), FUSION_STAMP_KEY, base, hash);
        redis.markUp();
        stamps = { corpus: String(corpus), fusion: String(fusion) };
        scope = scopeKey(base, stamps);
        const entry = raw === null ? undefined : parseEntry(raw);
        if (entry) return hit(variant, "exact", entry, 1);
      } catch (err) {
        redis.markDown(describeError(err));
        return miss(variant, `redis_error: ${describeError(err)}`);
      }

      const memo = remember(memoKey(variant, q.project, hash), stamps);
      if (!q.embed) return miss(variant, "miss", stamps);
      let embedding: number[];
      try {
        embedding = await q.embed();
        if (!Array.isArray(embedding) || embedding.length === 0 || !embedding.every(Number.isFinite)) throw new Error("not a non-empty vector of finite numbers");
      } catch (err) {
        return miss(variant, `embed_failed: ${describeError(err)}`, stamps);
      }
      memo.embedding = embedding;

      let items: Buffer[];
      try {
        items = await client.lrangeBuffer(recentKey(scope), 0, o.maxEntriesPerScope - 1);
      } catch (err) {
        redis.markDown(describeError(err));
        return miss(variant, `redis_error: ${describeError(err)}`, stamps);
      }
      const query = Float32Array.from(embedding);
      let best: { hash: string; similarity: number } | undefined;
      for (const item of items) {
        const decoded = decodeRecent(item);
        if (!decoded || decoded.vector.length !== query.length) continue;
        const similarity = cosine(query, decoded.vector);
        if (!best || similarity > best.similarity) best = { hash: decoded.hash, similarity };
      }
      if (!best) return miss(variant, "miss", stamps);
      if (best.similarity < o.similarity) return miss(variant, "below_threshold", stamps);

      let raw: string | null;
      try {
        raw = await client.get(entryKey(scope, best.hash));
      } catch (err) {
        redis.markDown(describeError(err));
        return miss(variant, `redis_error: ${describeError(err)}`, stamps);
      }
      const entry = raw === null ? undefined : parseEntry(raw);
      if (!entry) return miss(variant, "expired", stamps);
      // The next identical query becomes an exact hit (one round trip). Not awaited.
      client.set(entryKey(scope, hash), raw!, "EX", o.ttlSeconds).catch(() => undefined);
      return hit(variant, "semantic", entry, best.similarity);
    },

    async store(q) {
      const hash = keyHash(q.queryHash);
      const key = memoKey(q.variant, q.project, hash);
      const memo = memos.get(key);
      const fresh = memo && Date.now() - memo.at < MEMO_TTL_MS ? memo : undefined;
      const stamps = q.stamps ?? (fresh && !fresh.conflicted ? fresh.stamps : undefined);
      if (memo) memos.delete(key);
      if (!stamps) {
        log.debug({ event: "semantic_cache_store_skipped", reason: "unknown_stamps" }, "not caching an answer whose lookup stamps are unknown");
        return;
      }
      let json: string;
      try {
        json = JSON.stringify(q.entry);
      } catch (err) {
        log.warn({ event: "semantic_cache_store_skipped", reason: "not_serialisable", err: describeError(err) }, "answer not cached");
        return;
      }
      const bytes = Buffer.byteLength(json, "utf8");
      if (bytes > o.maxEntryBytes) {
        log.debug({ event: "semantic_cache_store_skipped", reason: "too_large", bytes, limit: o.maxEntryBytes }, "answer not cached");
        return;
      }
      const embedding = q.embedding ?? fresh?.embedding;
      if (!redis.usable()) {
        redis.markSkipped();
        return;
      }
      const scope = scopeKey(scopeBase(q.variant, q.project, q.namespace, q.model), stamps);
      const multi = client.multi();
      multi.set(entryKey(scope, hash), json, "EX", o.ttlSeconds);
      if (embedding && embedding.length > 0 && embedding.every(Number.isFinite)) {
        const list = recentKey(scope);
        const item = encodeRecent(hash, embedding);
        multi.lrem(list, 0, item);
        multi.lpush(list, item);
        multi.ltrim(list, 0, o.maxEntriesPerScope - 1);
        multi.expire(list, o.ttlSeconds);
      }
      try {
        await execMulti(multi);
        redis.markUp();
      } catch (err) {
        redis.markDown(describeError(err));
      }
    },

    status(): SemanticCacheStatus {
      void redis.probe();
      const healthy = redis.healthy();
      return healthy ? { enabled: true, healthy } : { enabled: true, healthy, reason: redis.unavailable() };
    },

    async close() {
      memos.clear();
      await redis.close();
    },
  };
}
