import { open } from "node:fs/promises";
import { ModelVerificationError, type ModelVerificationCode } from "../ModelVerificationError.js";
import { findPickleSignature } from "./findPickleSignature.js";
import { ggmlTensorBytes } from "./ggmlTensorBytes.js";
import { ggmlTypes } from "./ggmlTypes.js";
import { GgufValueType, ggufScalarSize } from "./GgufValueType.js";

export type GgufMetadataValue = number | bigint | boolean | string | GgufMetadataValue[];

export interface GgufTensorInfo {
  name: string;
  /** Innermost first. */
  dims: number[];
  type: number;
  typeName: string;
  /** Relative to the data section. */
  offset: number;
  bytes: number;
  elements: number;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufMetadataValue>;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** End of the tensor infos. */
  metadataEnd: number;
  /** Start of the tensor data (metadataEnd padded to the alignment). */
  dataOffset: number;
  /** End of the last tensor's data. */
  dataEnd: number;
  fileBytes: number;
}

/** Byte ranges of metadata strings and byte arrays (where a smuggled payload could sit), and what they are. */
type BlobRanges = Array<{ start: number; end: number; where: string }>;

/** The metadata region (header, KV pairs, tensor infos) may not exceed this. */
export const MAX_METADATA_BYTES = 256 * 1024 * 1024;
const MAX_DIMS = 4;

class NeedMore {
  constructor(readonly bytes: number) {}
}

class Refusal {
  constructor(
    readonly code: ModelVerificationCode,
    readonly detail: string,
  ) {}
}

/** Sequential little-endian reader over a file prefix; every length is checked before use. */
class Cursor {
  pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly fileBytes: number,
  ) {}
  need(n: number | bigint, what: string): number {
    const end = BigInt(this.pos) + BigInt(n);
    if (end > BigInt(this.fileBytes)) {
      throw new Refusal("truncated", `file ends at byte ${this.fileBytes} inside ${what} (needs ${end})`);
    }
    if (end > BigInt(this.buf.length)) throw new NeedMore(Number(end));
    const at = this.pos;
    this.pos = Number(end);
    return at;
  }
  u8(what: string): number {
    return this.buf[this.need(1, what)];
  }
  u32(what: string): number {
    return this.buf.readUInt32LE(this.need(4, what));
  }
  u64(what: string): bigint {
    return this.buf.readBigUInt64LE(this.need(8, what));
  }
  /** A u64 count or length that must fit in what is left of the file at `minBytesEach` bytes per item. */
  count(what: string, minBytesEach: number): number {
    const n = this.u64(what);
    if (n * BigInt(minBytesEach) > BigInt(this.fileBytes - this.pos)) {
      throw new Refusal("truncated", `${what} claims ${n} items, more than the ${this.fileBytes - this.pos} bytes left`);
    }
    return Number(n);
  }
  string(what: string, blobs?: BlobRanges): string {
    const len = this.count(`length of ${what}`, 1);
    const at = this.need(len, what);
    blobs?.push({ start: at, end: at + len, where: what });
    return this.buf.toString("utf8", at, at + len);
  }
  scalar(type: number, what: string): number | bigint | boolean {
    const at = this.need(ggufScalarSize[type] ?? 0, what);
    switch (type) {
      case GgufValueType.UINT8:
        return this.buf.readUInt8(at);
      case GgufValueType.INT8:
        return this.buf.readInt8(at);
      case GgufValueType.UINT16:
        return this.buf.readUInt16LE(at);
      case GgufValueType.INT16:
        return this.buf.readInt16LE(at);
      case GgufValueType.UINT32:
        return this.buf.readUInt32LE(at);
      case GgufValueType.INT32:
        return this.buf.readInt32LE(at);
      case GgufValueType.FLOAT32:
        return this.buf.readFloatLE(at);
      case GgufValueType.BOOL:
        return this.buf[at] !== 0;
      case GgufValueType.UINT64:
        return safe(this.buf.readBigUInt64LE(at));
      case GgufValueType.INT64:
        return safe(this.buf.readBigInt64LE(at));
      case GgufValueType.FLOAT64:
        return this.buf.readDoubleLE(at);
      default:
        throw new Refusal("malformed", `${what} has unknown value type ${type}`);
    }
  }
}

const safe = (v: bigint): number | bigint =>
  v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;

function readValue(c: Cursor, type: number, key: string, blobs: BlobRanges): GgufMetadataValue {
  if (type === GgufValueType.STRING) return c.string(`value of ${key}`, blobs);
  if (type !== GgufValueType.ARRAY) return c.scalar(type, `value of ${key}`);
  const elemType = c.u32(`array type of ${key}`);
  if (elemType === GgufValueType.ARRAY) throw new Refusal("malformed", `${key} is an array of arrays`);
  const size = elemType === GgufValueType.STRING ? 8 : ggufScalarSize[elemType];
  if (size === undefined) throw new Refusal("malformed", `${key} has unknown array element type ${elemType}`);
  const n = c.count(`array length of ${key}`, size);
  if (elemType === GgufValueType.UINT8 || elemType === GgufValueType.INT8) {
    const start = c.pos;
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(c.scalar(elemType, key) as number);
    blobs.push({ start, end: c.pos, where: `value of ${key}` });
    return out;
  }
  const out: GgufMetadataValue[] = new Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = elemType === GgufValueType.STRING ? c.string(`${key}[${i}]`, blobs) : c.scalar(elemType, key);
  }
  return out;
}

function parse(buf: Buffer, fileBytes: number): GgufHeader {
  const c = new Cursor(buf, fileBytes);
  if (fileBytes < 4 || buf.toString("latin1", 0, 4) !== "GGUF") {
    throw new Refusal("not_gguf", `no GGUF magic (starts with ${JSON.stringify(buf.toString("latin1", 0, Math.min(4, fileBytes)))})`);
  }
  c.pos = 4;
  const version = c.u32("the version");
  if (version !== 2 && version !== 3) throw new Refusal("unsupported_version", `GGUF version ${version}; only 2 and 3 are supported`);
  // A KV pair takes at least 8 (key length) + 4 (type) + 1 bytes; a tensor info 8 + 4 + 8 + 4 + 8.
  const tensorCount = Number(c.u64("the tensor count"));
  const kvCount = c.count("the metadata count", 13);
  if (BigInt(tensorCount) * 32n > BigInt(fileBytes)) throw new Refusal("truncated", `tensor count ${tensorCount} cannot fit in the file`);
  const metadata = new Map<string, GgufMetadataValue>();
  const blobRanges: BlobRanges = [];
  for (let i = 0; i < kvCount; i++) {
    const key = c.string(`metadata key #${i}`, blobRanges);
    if (metadata.has(key)) throw new Refusal("malformed", `duplicate metadata key ${key}`);
    const type = c.u32(`type of ${key}`);
    metadata.set(key, readValue(c, type, key, blobRanges));
  }
  const alignmentValue = metadata.get("general.alignment") ?? 32;
  const alignment = typeof alignmentValue === "number" ? alignmentValue : 0;
  if (!Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new Refusal("malformed", `general.alignment ${String(alignmentValue)} is not a power of two`);
  }
  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string(`tensor name #${i}`, blobRanges);
    if (names.has(name)) throw new Refusal("malformed", `duplicate tensor ${name}`);
    names.add(name);
    const nDims = c.u32(`dimension count of ${name}`);
    if (nDims < 1 || nDims > MAX_DIMS) throw new Refusal("malformed", `tensor ${name} has ${nDims} dimensions`);
    const dims: bigint[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.u64(`dimensions of ${name}`));
    const type = c.u32(`type of ${name}`);
    const offset = c.u64(`offset of ${name}`);
    if (dims.some((d) => d === 0n || d > 1n << 40n)) throw new Refusal("malformed", `tensor ${name} has dimensions ${dims.join("x")}`);
    const bytes = ggmlTensorBytes(type, dims);
    if (typeof bytes === "string") throw new Refusal("malformed", `tensor ${name}: ${bytes}`);
    if (offset % BigInt(alignment) !== 0n) throw new Refusal("malformed", `tensor ${name} offset ${offset} is not aligned to ${alignment}`);
    if (offset + bytes > BigInt(fileBytes)) {
      throw new Refusal("truncated", `tensor ${name} data (${offset}+${bytes}) runs past the end of the ${fileBytes}-byte file`);
    }
    tensors.push({
      name,
      dims: dims.map(Number),
      type,
      typeName: ggmlTypes.get(type)?.name ?? String(type),
      offset: Number(offset),
      bytes: Number(bytes),
      elements: dims.reduce((a, b) => a * Number(b), 1),
    });
  }
  const metadataEnd = c.pos;
  const dataOffset = Math.ceil(metadataEnd / alignment) * alignment;
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (prev.offset + prev.bytes > sorted[i].offset) throw new Refusal("malformed", `tensors ${prev.name} and ${sorted[i].name} overlap`);
  }
  const last = sorted[sorted.length - 1];
  const dataEnd = last ? dataOffset + last.offset + last.bytes : metadataEnd;
  if (dataEnd > fileBytes) {
    throw new Refusal("truncated", `tensor data ends at byte ${dataEnd} but the file has ${fileBytes} bytes`);
  }
  const paddingEnd = Math.min(dataOffset, fileBytes);
  if (paddingEnd > buf.length) throw new NeedMore(paddingEnd);
  blobRanges.push({ start: metadataEnd, end: paddingEnd, where: "the padding before the tensor data" });
  for (const r of blobRanges) {
    const at = findPickleSignature(buf, r.start, r.end);
    if (at >= 0) throw new Refusal("pickle_signature", `pickle stream signature at byte ${at}, in ${r.where}`);
  }
  const paddedEnd = Math.ceil(dataEnd / alignment) * alignment;
  if (fileBytes > paddedEnd) {
    throw new Refusal("trailing_data", `${fileBytes - dataEnd} bytes follow the last tensor (at most ${paddedEnd - dataEnd} of padding expected)`);
  }
  return { version, metadata, tensors, alignment, metadataEnd, dataOffset, dataEnd, fileBytes };
}

/**
 * Reads a GGUF file's header, metadata and tensor infos, checking every count
 * and length against the file size before using it, and checking that the
 * tensor data the infos describe is exactly what the file holds. Reads only
 * the metadata region (at most MAX_METADATA_BYTES), never the tensor data.
 * Metadata strings, byte arrays and the padding are searched for a pickle
 * stream (findPickleSignature). Throws ModelVerificationError (not_gguf,
 * unsupported_version, truncated, malformed, trailing_data, pickle_signature).
 */
export async function readGgufHeader(path: string): Promise<GgufHeader> {
  const file = await open(path, "r");
  try {
    const fileBytes = (await file.stat()).size;
    let want = Math.min(fileBytes, 1 << 20);
    for (;;) {
      const buf = Buffer.alloc(want);
      const { bytesRead } = await file.read(buf, 0, want, 0);
      const prefix = buf.subarray(0, bytesRead);
      try {
        return parse(prefix, fileBytes);
      } catch (err) {
        if (err instanceof Refusal) throw new ModelVerificationError(err.code, path, err.detail);
        if (!(err instanceof NeedMore)) throw err;
        if (bytesRead < want) throw new ModelVerificationError("truncated", path, "the file shrank while being read");
        if (err.bytes > MAX_METADATA_BYTES) {
          throw new ModelVerificationError("malformed", path, `metadata region exceeds ${MAX_METADATA_BYTES} bytes`);
        }
        want = Math.min(fileBytes, Math.max(want * 2, err.bytes + (1 << 20)));
      }
    }
  } finally {
    await file.close();
  }
}
