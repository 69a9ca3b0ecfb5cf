import { ggmlTensorBytes } from "./ggmlTensorBytes.js";
import { GgufValueType } from "./GgufValueType.js";

/** A metadata value this writer can encode. */
export type GgufWriteValue =
  | { type: "u32"; value: number }
  | { type: "i32"; value: number }
  | { type: "u64"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: readonly string[] }
  | { type: "f32[]"; value: ArrayLike<number> }
  | { type: "i32[]"; value: ArrayLike<number> };

export interface GgufTensorSpec {
  name: string;
  /** Innermost first, as GGUF stores them. */
  dims: readonly number[];
  type: number;
}

export interface GgufLayout {
  /** Header, metadata, tensor infos and zero padding up to the data section. */
  header: Buffer;
  /** Absolute file offset of each tensor's data, in the order given. */
  tensorOffsets: number[];
  /** Bytes of each tensor's data. */
  tensorBytes: number[];
  /** Size of the whole file, the data section padded to the alignment. */
  totalBytes: number;
}

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32

/** Growable little-endian byte sink for the (small) header part of a file. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private reserve(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  // reserve() may swap the buffer, so it runs before `this.buf` is read.
  u32(v: number): void {
    const at = this.reserve(4);
    this.buf.writeUInt32LE(v, at);
  }
  i32(v: number): void {
    const at = this.reserve(4);
    this.buf.writeInt32LE(v, at);
  }
  u64(v: number): void {
    const at = this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt(v), at);
  }
  f32(v: number): void {
    const at = this.reserve(4);
    this.buf.writeFloatLE(v, at);
  }
  u8(v: number): void {
    const at = this.reserve(1);
    this.buf[at] = v;
  }
  str(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    const at = this.reserve(bytes.length);
    bytes.copy(this.buf, at);
  }
  zeros(n: number): void {
    const at = this.reserve(n);
    this.buf.fill(0, at, this.length);
  }
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeValue(sink: ByteSink, v: GgufWriteValue): void {
  switch (v.type) {
    case "u32":
      sink.u32(GgufValueType.UINT32);
      return sink.u32(v.value);
    case "i32":
      sink.u32(GgufValueType.INT32);
      return sink.i32(v.value);
    case "u64":
      sink.u32(GgufValueType.UINT64);
      return sink.u64(v.value);
    case "f32":
      sink.u32(GgufValueType.FLOAT32);
      return sink.f32(v.value);
    case "bool":
      sink.u32(GgufValueType.BOOL);
      return sink.u8(v.value ? 1 : 0);
    case "string":
      sink.u32(GgufValueType.STRING);
      return sink.str(v.value);
    case "string[]":
      sink.u32(GgufValueType.ARRAY);
      sink.u32(GgufValueType.STRING);
      sink.u64(v.value.length);
      for (const s of v.value) sink.str(s);
      return;
    case "f32[]":
      sink.u32(GgufValueType.ARRAY);
      sink.u32(GgufValueType.FLOAT32);
      sink.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) sink.f32(v.value[i]);
      return;
    case "i32[]":
      sink.u32(GgufValueType.ARRAY);
      sink.u32(GgufValueType.INT32);
      sink.u64(v.value.length);
      for (let i = 0; i < v.value.length; i++) sink.i32(v.value[i]);
      return;
  }
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Lays out a GGUF v3 file: encodes the header, metadata and tensor infos, and
 * says where each tensor's data goes. The caller fills the data in.
 * `general.alignment` must be among the metadata when alignment is not 32.
 */
export function encodeGgufHeader(
  metadata: ReadonlyArray<readonly [string, GgufWriteValue]>,
  tensors: readonly GgufTensorSpec[],
  alignment = 32,
): GgufLayout {
  const sink = new ByteSink();
  sink.u32(MAGIC);
  sink.u32(3);
  sink.u64(tensors.length);
  sink.u64(metadata.length);
  for (const [key, value] of metadata) {
    sink.str(key);
    writeValue(sink, value);
  }
  const relative: number[] = [];
  const sizes: number[] = [];
  let cursor = 0;
  for (const t of tensors) {
    const bytes = ggmlTensorBytes(t.type, t.dims.map(BigInt));
    if (typeof bytes === "string") throw new Error(`tensor ${t.name}: ${bytes}`);
    relative.push(cursor);
    sizes.push(Number(bytes));
    cursor = alignUp(cursor + Number(bytes), alignment);
    sink.str(t.name);
    sink.u32(t.dims.length);
    for (const d of t.dims) sink.u64(d);
    sink.u32(t.type);
    sink.u64(relative[relative.length - 1]);
  }
  const dataStart = alignUp(sink.length, alignment);
  sink.zeros(dataStart - sink.length);
  return {
    header: sink.toBuffer(),
    tensorOffsets: relative.map((r) => dataStart + r),
    tensorBytes: sizes,
    totalBytes: dataStart + cursor,
  };
}
