import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeTensorData } from "../../services/models/gguf/decodeTensorData.js";
import { encodeGgufHeader } from "../../services/models/gguf/encodeGgufHeader.js";
import { encodeTensorData } from "../../services/models/gguf/encodeTensorData.js";
import { findPickleSignature } from "../../services/models/gguf/findPickleSignature.js";
import { f16BitsToF32, f32ToF16Bits } from "../../services/models/gguf/float16.js";
import { ggmlTensorBytes } from "../../services/models/gguf/ggmlTensorBytes.js";
import { GgmlType } from "../../services/models/gguf/ggmlTypes.js";
import { readGgufHeader } from "../../services/models/gguf/readGgufHeader.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aq-gguf-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("float16", () => {
  it("encodes exact values, rounds to nearest even, and handles the edges", () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(70000)).toBe(0x7c00); // overflow -> infinity
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(f32ToF16Bits(2 ** -26)).toBe(0x0000); // underflow
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie, rounds to even
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, rounds to even (up)
    expect(f16BitsToF32(f32ToF16Bits(0.1))).toBeCloseTo(0.1, 3);
    expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(Number.NaN)))).toBe(true);
  });
});

describe("tensor data encoding", () => {
  const values = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * (i < 32 ? 3 : 0.01));

  it("round-trips F32 exactly and F16 closely", () => {
    for (const [type, bytes, tol] of [
      [GgmlType.F32, 256, 0],
      [GgmlType.F16, 128, 2e-3],
    ] as const) {
      const buf = Buffer.alloc(bytes + 8);
      expect(encodeTensorData(values, type, buf, 8)).toBe(bytes);
      const back = decodeTensorData(buf, 8, values.length, type);
      for (let i = 0; i < values.length; i++) expect(Math.abs(back[i] - values[i])).toBeLessThanOrEqual(tol * Math.abs(values[i]) + 1e-7);
    }
  });

  it("writes Q8_0 as blocks of an f16 scale and 32 int8 values, each block scaled on its own", () => {
    const buf = Buffer.alloc(68);
    expect(encodeTensorData(values, GgmlType.Q8_0, buf, 0)).toBe(68);
    expect(f16BitsToF32(buf.readUInt16LE(0))).toBeCloseTo(3 / 127, 3);
    const back = decodeTensorData(buf, 0, 64, GgmlType.Q8_0);
    for (let i = 0; i < 64; i++) {
      const blockMax = i < 32 ? 3 : 0.01;
      expect(Math.abs(back[i] - values[i])).toBeLessThanOrEqual(blockMax / 127);
    }
    expect(() => encodeTensorData(new Float32Array(40), GgmlType.Q8_0, Buffer.alloc(100), 0)).toThrow(/multiple of 32/);
  });
});

describe("ggmlTensorBytes", () => {
  it("knows the block sizes of common quantizations", () => {
    expect(ggmlTensorBytes(0, [64n, 10n])).toBe(2560n); // F32
    expect(ggmlTensorBytes(8, [64n, 10n])).toBe(680n); // Q8_0: 2 blocks of 34 per row
    expect(ggmlTensorBytes(2, [4096n, 4096n])).toBe(4096n * 128n * 18n); // Q4_0
    expect(ggmlTensorBytes(12, [4096n, 11008n])).toBe(16n * 144n * 11008n); // Q4_K
    expect(ggmlTensorBytes(14, [4096n, 32000n])).toBe(16n * 210n * 32000n); // Q6_K
  });

  it("rejects unknown types and partial blocks", () => {
    expect(ggmlTensorBytes(4, [32n])).toMatch(/unknown ggml type 4/);
    expect(ggmlTensorBytes(12, [100n, 2n])).toMatch(/not a multiple/);
  });
});

describe("findPickleSignature", () => {
  it("finds protocol 2 and protocol 4 pickle starts", () => {
    expect(findPickleSignature(Buffer.from("abc\x80\x02}q\x00(X", "latin1"))).toBe(3);
    expect(findPickleSignature(Buffer.from("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins", "latin1"))).toBe(0);
    expect(findPickleSignature(Buffer.from("xx\x80\x05cos\nsystem", "latin1"))).toBe(2);
  });

  it("ignores UTF-8 text with 0x80 continuation bytes and other protocols", () => {
    expect(findPickleSignature(Buffer.from("À€ĀЀ日本語 <0x80> \u0080", "utf8"))).toBe(-1);
    expect(findPickleSignature(Buffer.from("\x80\x01}", "latin1"))).toBe(-1); // protocol 1 has no PROTO opcode
    expect(findPickleSignature(Buffer.from("\x80\x02zz", "latin1"))).toBe(-1);
  });

  it("only looks inside the given range", () => {
    const buf = Buffer.from("\x80\x02}....", "latin1");
    expect(findPickleSignature(buf, 1)).toBe(-1);
    expect(findPickleSignature(buf, 0, 2)).toBe(-1);
  });
});

describe("encodeGgufHeader + readGgufHeader", () => {
  it("round-trips metadata of every written type and places tensors at aligned offsets", async () => {
    const layout = encodeGgufHeader(
      [
        ["general.architecture", { type: "string", value: "llama" }],
        ["a.u32", { type: "u32", value: 7 }],
        ["a.i32", { type: "i32", value: -7 }],
        ["a.u64", { type: "u64", value: 2 ** 40 }],
        ["a.f32", { type: "f32", value: 0.5 }],
        ["a.bool", { type: "bool", value: true }],
        ["a.strings", { type: "string[]", value: ["x", "▁y", ""] }],
        ["a.floats", { type: "f32[]", value: [1.5, -2] }],
        ["a.ints", { type: "i32[]", value: [3, -4] }],
      ],
      [
        { name: "t.a", dims: [3], type: GgmlType.F32 },
        { name: "t.b", dims: [32, 2], type: GgmlType.Q8_0 },
      ],
    );
    const file = Buffer.alloc(layout.totalBytes);
    layout.header.copy(file);
    const path = join(dir, "roundtrip.gguf");
    await writeFile(path, file);
    const h = await readGgufHeader(path);
    expect(h.version).toBe(3);
    expect(Object.fromEntries(h.metadata)).toEqual({
      "general.architecture": "llama",
      "a.u32": 7,
      "a.i32": -7,
      "a.u64": 2 ** 40,
      "a.f32": 0.5,
      "a.bool": true,
      "a.strings": ["x", "▁y", ""],
      "a.floats": [1.5, -2],
      "a.ints": [3, -4],
    });
    expect(h.tensors.map((t) => [t.name, t.dims, t.typeName, t.offset, t.bytes])).toEqual([
      ["t.a", [3], "F32", 0, 12],
      ["t.b", [32, 2], "Q8_0", 32, 68],
    ]);
    expect(h.dataOffset % 32).toBe(0);
    expect(layout.tensorOffsets).toEqual([h.dataOffset, h.dataOffset + 32]);
    expect(h.dataEnd).toBe(h.dataOffset + 100);
    expect(layout.totalBytes).toBe(h.dataOffset + 128);
  });
});
