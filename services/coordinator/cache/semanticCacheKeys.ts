import { createHash } from "node:crypto";
import { projectTag } from "../../shared/cacheStamps/stampKeys.js";
import type { CacheStamps, Variant } from "./SemanticCache.js";

/**
 * Keys of one scope (variant, project, chat model, corpus stamp, fusion stamp):
 *   semcache:v1:<variant>:<p<32 hex>|all>[:m<16 hex>]:c<corpus>:f<fusion>:q:<query hash>  the answer (JSON)
 *   semcache:v1:<variant>:<p<32 hex>|all>[:m<16 hex>]:c<corpus>:f<fusion>:recent          the newest queries' vectors (a capped list)
 * The stamped part is built in Lua too (lookupScript), so the formats must match.
 */
export const SEMCACHE_PREFIX = "semcache:v1:";

/** The part of the key before the stamps. */
/**
 * An entry's scope before the stamps: the namespace (which endpoint's
 * answers: /query's and the front door's have different prompts and shapes),
 * the A/B variant, the project, and the local chat model that was loaded
 * (`m` + 16 hex of the sha256 of its identity), so that a model change leaves
 * the previous model's answers behind.
 */
export function scopeBase(variant: Variant, project: string | undefined, namespace = "query", model?: string): string {
  if (!/^[a-z0-9_-]{1,32}$/.test(namespace)) throw new RangeError(`cache namespace must be 1-32 of a-z 0-9 _ -, got ${JSON.stringify(namespace)}`);
  const modelTag = model === undefined ? "" : `:m${createHash("sha256").update(model, "utf8").digest("hex").slice(0, 16)}`;
  return `${SEMCACHE_PREFIX}${namespace === "query" ? "" : `${namespace}:`}${variant}:${project === undefined ? "all" : projectTag(project)}${modelTag}`;
}

export function scopeKey(base: string, stamps: CacheStamps): string {
  return `${base}:c${stamps.corpus}:f${stamps.fusion}`;
}

export const entryKey = (scope: string, queryHash: string) => `${scope}:q:${queryHash}`;
export const recentKey = (scope: string) => `${scope}:recent`;

const SAFE_HASH = /^[A-Za-z0-9_-]{8,128}$/;

/** A caller's query hash as it goes into keys: kept when it is a plain 8–128 character token, else sha256 hex of it. */
export function keyHash(queryHash: string): string {
  return SAFE_HASH.test(queryHash) ? queryHash : createHash("sha256").update(queryHash, "utf8").digest("hex");
}

/**
 * One round trip for a lookup by exact query hash: reads both stamps (a
 * missing one is "0"), builds the stamped key and GETs it.
 * KEYS: corpus stamp, fusion stamp. ARGV: scope base, key hash.
 * Returns {corpus, fusion, answer or nil}.
 */
export const lookupScript = `
local s = redis.call('MGET', KEYS[1], KEYS[2])
local c = s[1] or '0'
local f = s[2] or '0'
local v = redis.call('GET', ARGV[1] .. ':c' .. c .. ':f' .. f .. ':q:' .. ARGV[2])
return {c, f, v}
`;

/**
 * An item of the recent list: [u8 hash length][hash, ASCII][float32 LE vector].
 * 4 bytes per dimension (a 384-dimension vector: 1.5 KiB).
 */
export function encodeRecent(hash: string, vector: ArrayLike<number>): Buffer {
  const h = Buffer.from(hash, "latin1");
  const buf = Buffer.allocUnsafe(1 + h.length + vector.length * 4);
  buf.writeUInt8(h.length, 0);
  h.copy(buf, 1);
  let o = 1 + h.length;
  for (let i = 0; i < vector.length; i++, o += 4) buf.writeFloatLE(vector[i]!, o);
  return buf;
}

/** undefined for a malformed item. */
export function decodeRecent(buf: Buffer): { hash: string; vector: Float32Array } | undefined {
  if (buf.length < 1) return undefined;
  const n = buf.readUInt8(0);
  const rest = buf.length - 1 - n;
  if (n === 0 || rest <= 0 || rest % 4 !== 0) return undefined;
  const hash = buf.toString("latin1", 1, 1 + n);
  const vector = new Float32Array(rest / 4);
  for (let i = 0, o = 1 + n; i < vector.length; i++, o += 4) vector[i] = buf.readFloatLE(o);
  return { hash, vector };
}

/** Cosine similarity; 0 for different lengths or a zero vector. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
