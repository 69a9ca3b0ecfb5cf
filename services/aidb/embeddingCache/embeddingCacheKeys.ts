import { createHash } from "node:crypto";
import type { EmbeddingFingerprint } from "./EmbeddingCache.js";

const sha256Hex = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/** `m<first 16 hex of sha256 of the fingerprint JSON>`; field order fixed. */
export function modelTag(fp: EmbeddingFingerprint): string {
  const json = JSON.stringify({ name: fp.name, sha256: fp.sha256, dimensions: fp.dimensions });
  return `m${sha256Hex(json).slice(0, 16)}`;
}

/** `embedding:<modelTag>:e<epoch>:` — every key of one model and epoch. */
export function keyPrefix(fp: EmbeddingFingerprint, epoch: number): string {
  return `embedding:${modelTag(fp)}:e${epoch}:`;
}

/** `embedding:m<16 hex>:e<epoch>:<sha256(text)>` */
export function embeddingKey(prefix: string, text: string): string {
  return prefix + sha256Hex(text);
}

/** Marker key holding the model tag and epoch last used on this Redis. */
export const CURRENT_MODEL_KEY = "embedding:current-model";

/** Vectors are stored as little-endian float32, 4 bytes per dimension. */
export function encodeVector(v: number[]): Buffer {
  const buf = Buffer.allocUnsafe(v.length * 4);
  for (let i = 0; i < v.length; i++) buf.writeFloatLE(v[i]!, i * 4);
  return buf;
}

export function decodeVector(buf: Buffer, dimensions: number): number[] | undefined {
  if (buf.length !== dimensions * 4) return undefined;
  const out = new Array<number>(dimensions);
  for (let i = 0; i < dimensions; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}
