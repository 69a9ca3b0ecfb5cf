// A "shape model": a GGUF file with a real model's architecture (layers,
// heads, KV heads, head size, feed-forward size, vocabulary) and all-zero
// weights, written as a sparse file: only the header takes disk space. It
// loads in node-llama-cpp like the real model would, so the memory that
// llama.cpp allocates for it (weights, KV cache, compute buffers) can be
// measured on a machine that has no copy of the real file. Its answers are
// meaningless; only its memory counts.
import { closeSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { encodeGgufHeader, type GgufTensorSpec, type GgufWriteValue } from "../services/models/gguf/encodeGgufHeader.js";
import { GgmlType } from "../services/models/gguf/ggmlTypes.js";
import { LlamaFileType } from "../services/models/gguf/llamaFileTypeName.js";
import { buildSynthVocabulary } from "../services/models/synth/synthVocabulary.js";

/** The architecture facts of lib/models.json (a causal decoder). */
export interface ModelShape {
  layers: number;
  embedding_length: number;
  head_count: number;
  head_count_kv: number;
  head_dim: number;
  feed_forward_length: number;
  vocab_size: number;
  tied_embeddings: boolean;
  context_length: number;
}

/**
 * Writes `shape` as a llama-architecture GGUF with Q8_0 matrices (all zero)
 * to `out`, sparse. Returns the file's size in bytes.
 */
export function writeShapeModel(out: string, shape: ModelShape, name = "shape"): number {
  const E = shape.embedding_length;
  const q = shape.head_count * shape.head_dim;
  const kv = shape.head_count_kv * shape.head_dim;
  const F = shape.feed_forward_length;
  const V = shape.vocab_size;
  const Q8 = GgmlType.Q8_0;
  const tensors: GgufTensorSpec[] = [{ name: "token_embd.weight", dims: [E, V], type: Q8 }];
  for (let i = 0; i < shape.layers; i++) {
    const p = `blk.${i}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [E], type: GgmlType.F32 },
      { name: `${p}attn_q.weight`, dims: [E, q], type: Q8 },
      { name: `${p}attn_k.weight`, dims: [E, kv], type: Q8 },
      { name: `${p}attn_v.weight`, dims: [E, kv], type: Q8 },
      { name: `${p}attn_output.weight`, dims: [q, E], type: Q8 },
      { name: `${p}ffn_norm.weight`, dims: [E], type: GgmlType.F32 },
      { name: `${p}ffn_gate.weight`, dims: [E, F], type: Q8 },
      { name: `${p}ffn_up.weight`, dims: [E, F], type: Q8 },
      { name: `${p}ffn_down.weight`, dims: [F, E], type: Q8 },
    );
  }
  tensors.push({ name: "output_norm.weight", dims: [E], type: GgmlType.F32 });
  if (!shape.tied_embeddings) tensors.push({ name: "output.weight", dims: [E, V], type: Q8 });

  const vocab = buildSynthVocabulary(V);
  const meta: Array<[string, GgufWriteValue]> = [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: name }],
    ["general.file_type", { type: "u32", value: LlamaFileType.MOSTLY_Q8_0 }],
    ["general.quantization_version", { type: "u32", value: 2 }],
    ["general.alignment", { type: "u32", value: 32 }],
    ["llama.vocab_size", { type: "u32", value: V }],
    ["llama.context_length", { type: "u32", value: shape.context_length }],
    ["llama.embedding_length", { type: "u32", value: E }],
    ["llama.block_count", { type: "u32", value: shape.layers }],
    ["llama.feed_forward_length", { type: "u32", value: F }],
    ["llama.attention.head_count", { type: "u32", value: shape.head_count }],
    ["llama.attention.head_count_kv", { type: "u32", value: shape.head_count_kv }],
    ["llama.attention.key_length", { type: "u32", value: shape.head_dim }],
    ["llama.attention.value_length", { type: "u32", value: shape.head_dim }],
    ["llama.rope.dimension_count", { type: "u32", value: shape.head_dim }],
    ["llama.rope.freq_base", { type: "f32", value: 1_000_000 }],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: 1e-6 }],
    ["tokenizer.ggml.model", { type: "string", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "string[]", value: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: "f32[]", value: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: vocab.types }],
    ["tokenizer.ggml.unknown_token_id", { type: "u32", value: vocab.unk }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: vocab.bos }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: vocab.imEnd }],
  ];
  const layout = encodeGgufHeader(meta, tensors);
  const fd = openSync(out, "w");
  try {
    writeSync(fd, layout.header, 0, layout.header.length, 0);
    // The tensor data stays a hole: zeros, which are valid Q8_0 and F32 values.
    ftruncateSync(fd, layout.totalBytes);
  } finally {
    closeSync(fd);
  }
  return layout.totalBytes;
}
