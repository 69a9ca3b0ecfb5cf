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

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Vectors are stored as little-endian float32, 4 bytes per dimension. */
export function encodeVector(v: number[]): Buffer {
  if (LITTLE_ENDIAN) {
    const f = Float32Array.from(v);
    return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
  }
  const buf = Buffer.allocUnsafe(v.length * 4);
  for (let i = 0; i < v.length; i++) buf.writeFloatLE(v[i]!, i * 4);
  return buf;
}

/** undefined when the stored bytes do not hold `dimensions` floats. */
export function decodeVector(buf: Buffer, dimensions: number): number[] | undefined {
  if (buf.length !== dimensions * 4) return undefined;
  if (LITTLE_ENDIAN) {
    // A Float32Array view needs 4-byte alignment; pooled Buffers may not be.
    const aligned = buf.byteOffset % 4 === 0 ? buf : Buffer.from(buf);
    return Array.from(new Float32Array(aligned.buffer, aligned.byteOffset, dimensions));
  }
  const out = new Array<number>(dimensions);
  for (let i = 0; i < dimensions; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}
