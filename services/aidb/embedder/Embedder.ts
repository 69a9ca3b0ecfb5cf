import { createHash } from "node:crypto";

/** What identifies an embedding model: vectors from different fingerprints don't mix. */
export interface ModelFingerprint {
  name: string;
  sha256: string;
  dimensions: number;
  /** The text put before each document (withPrefix): vectors embedded with another prefix don't mix either. */
  documentPrefix?: string;
}

/**
 * Turns texts into L2-normalised vectors, in input order. Implemented over
 * HTTP (the inference service's /v1/embeddings) and in-process
 * (node-llama-cpp); `withEmbeddingCache` wraps either.
 */
export interface Embedder {
  readonly kind: "http" | "local";
  readonly fingerprint: ModelFingerprint;
  /** Largest input the model accepts, in its tokens. */
  readonly maxInputTokens: number;
  /** Tokens of `text` in the model's tokenizer (or a documented estimate). */
  countTokens(text: string): number;
  embed(texts: string[]): Promise<number[][]>;
  /** A cheap liveness check for /ready. */
  check(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}

/** Short, stable text form stored with each chunk (`:p<8 hex>` of the document prefix, when there is one). */
export function fingerprintId(f: ModelFingerprint): string {
  const prefix = f.documentPrefix ? `:p${createHash("sha256").update(f.documentPrefix, "utf8").digest("hex").slice(0, 8)}` : "";
  return `${f.name}:${f.sha256.slice(0, 16)}:${f.dimensions}${prefix}`;
}
