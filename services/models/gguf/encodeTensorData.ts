import { f32ToF16Bits } from "./float16.js";
import { GgmlType, type WritableGgmlType } from "./ggmlTypes.js";

/**
 * Encodes float values (row-major, innermost dimension contiguous) as F32,
 * F16 or Q8_0 into `target` at `offset`; returns the bytes written.
 * Q8_0: blocks of 32 values, an f16 scale d = max|x| / 127, then 32 int8
 * values round(x / d).
 */
export function encodeTensorData(values: Float32Array, type: WritableGgmlType, target: Buffer, offset: number): number {
  const n = values.length;
  if (type === GgmlType.F32) {
    for (let i = 0; i < n; i++) target.writeFloatLE(values[i], offset + 4 * i);
    return 4 * n;
  }
  if (type === GgmlType.F16) {
    for (let i = 0; i < n; i++) target.writeUInt16LE(f32ToF16Bits(values[i]), offset + 2 * i);
    return 2 * n;
  }
  if (n % 32 !== 0) throw new Error(`Q8_0 needs a multiple of 32 values, got ${n}`);
  let pos = offset;
  for (let block = 0; block < n; block += 32) {
    let amax = 0;
    for (let i = block; i < block + 32; i++) {
      const a = Math.abs(values[i]);
      if (a > amax) amax = a;
    }
    const d = amax / 127;
    const inv = d > 0 ? 1 / d : 0;
    target.writeUInt16LE(f32ToF16Bits(d), pos);
    pos += 2;
    for (let i = block; i < block + 32; i++) {
      let q = Math.round(values[i] * inv);
      if (q > 127) q = 127;
      else if (q < -127) q = -127;
      target[pos++] = q & 0xff;
    }
  }
  return pos - offset;
}
