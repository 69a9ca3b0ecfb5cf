import { ggmlTypes } from "./ggmlTypes.js";

/**
 * Bytes a tensor of the given ggml type and dimensions (innermost first)
 * occupies, or an error string when the type is unknown or the innermost
 * dimension is not a whole number of blocks. Uses bigint so hostile
 * dimensions cannot overflow silently.
 */
export function ggmlTensorBytes(type: number, dims: readonly bigint[]): bigint | string {
  const info = ggmlTypes.get(type);
  if (!info) return `unknown ggml type ${type}`;
  if (dims.length === 0) return "tensor has no dimensions";
  const inner = dims[0];
  if (inner % BigInt(info.blockSize) !== 0n) {
    return `innermost dimension ${inner} is not a multiple of the ${info.name} block size ${info.blockSize}`;
  }
  let rows = 1n;
  for (const d of dims.slice(1)) rows *= d;
  return (inner / BigInt(info.blockSize)) * BigInt(info.blockBytes) * rows;
}
