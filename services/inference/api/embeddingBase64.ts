/**
 * `encoding_format: "base64"` of /v1/embeddings: the vector as little-endian
 * float32, base64-encoded (OpenAI's format; its SDKs decode it).
 */
export function encodeEmbeddingBase64(vector: number[]): string {
  const buf = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) buf.writeFloatLE(vector[i]!, i * 4);
  return buf.toString("base64");
}

/** The vector of a base64 embedding. */
export function decodeEmbeddingBase64(text: string): number[] {
  const buf = Buffer.from(text, "base64");
  const out = new Array<number>(Math.floor(buf.length / 4));
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}
