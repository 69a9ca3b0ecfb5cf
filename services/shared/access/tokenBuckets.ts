/** One bucket a call draws from: `capacity` tokens, refilled evenly over `windowMs` (full again one window after it was empty). */
export interface BucketSpec {
  key: string;
  capacity: number;
  windowMs: number;
  cost: number;
}

/** The first bucket that could not pay (its index), and in how many ms it could; or nothing when every bucket paid. */
export type BucketResult = { denied: false } | { denied: true; index: number; retryAfterMs: number };

/**
 * Token buckets in Redis, as one atomic script: every bucket is refilled for
 * the time since it was last touched (Redis's own clock, so services share
 * one notion of time), then either all of them pay their cost or none does.
 * KEYS: the buckets; ARGV: per bucket capacity, windowMs, cost.
 * Returns {0} when all paid, or {index (1-based), retry-after ms}.
 */
export const tokenBucketLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tokens = {}
for i = 1, #KEYS do
  local cap = tonumber(ARGV[i * 3 - 2])
  local win = tonumber(ARGV[i * 3 - 1])
  local cost = tonumber(ARGV[i * 3])
  local b = redis.call('HMGET', KEYS[i], 'tokens', 'ts')
  local have = tonumber(b[1])
  local ts = tonumber(b[2])
  if have == nil or ts == nil then have = cap; ts = now end
  local rate = cap / win
  have = math.min(cap, have + math.max(0, now - ts) * rate)
  if have < cost then
    return {i, math.ceil((cost - have) / rate)}
  end
  tokens[i] = have
end
for i = 1, #KEYS do
  local win = tonumber(ARGV[i * 3 - 1])
  local cost = tonumber(ARGV[i * 3])
  redis.call('HSET', KEYS[i], 'tokens', tostring(tokens[i] - cost), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil(win))
end
return {0}
`;

/** The same buckets in this process (no Redis, or Redis down): the same arithmetic on a Map. */
export function createMemoryBuckets(now: () => number = Date.now) {
  const state = new Map<string, { tokens: number; ts: number; windowMs: number }>();
  return {
    take(specs: BucketSpec[]): BucketResult {
      const t = now();
      const levels: number[] = [];
      for (const [i, s] of specs.entries()) {
        const b = state.get(s.key);
        const rate = s.capacity / s.windowMs;
        const have = b ? Math.min(s.capacity, b.tokens + Math.max(0, t - b.ts) * rate) : s.capacity;
        if (have < s.cost) return { denied: true, index: i, retryAfterMs: Math.ceil((s.cost - have) / rate) };
        levels.push(have);
      }
      for (const [i, s] of specs.entries()) state.set(s.key, { tokens: levels[i]! - s.cost, ts: t, windowMs: s.windowMs });
      // Forget buckets that are full again, so the map does not grow with every key ever seen.
      if (state.size > 10_000) {
        for (const [k, b] of state) if (t - b.ts > b.windowMs) state.delete(k);
      }
      return { denied: false };
    },
  };
}
