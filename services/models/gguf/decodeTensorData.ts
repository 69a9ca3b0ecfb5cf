import { f16BitsToF32 } from "./float16.js";
import { GgmlType, type WritableGgmlType } from "./ggmlTypes.js";

/** Inverse of encodeTensorData: the float values that `count` encoded values at `offset` stand for. */
export function decodeTensorData(source: Buffer, offset: number, count: number, type: WritableGgmlType): Float32Array {
  const out = new Float32Array(count);
  if (type === GgmlType.F32) {
    for (let i = 0; i < count; i++) out[i] = source.readFloatLE(offset + 4 * i);
  } else if (type === GgmlType.F16) {
    for (let i = 0; i < count; i++) out[i] = f16BitsToF32(source.readUInt16LE(offset + 2 * i));
  } else {
    let pos = offset;
    for (let block = 0; block < count; block += 32) {
      const d = f16BitsToF32(source.readUInt16LE(pos));
      pos += 2;
      for (let i = 0; i < 32; i++) out[block + i] = d * source.readInt8(pos++);
    }
  }
  return out;
}
