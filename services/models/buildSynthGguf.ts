import { encodeGgufHeader, type GgufTensorSpec, type GgufWriteValue } from "./gguf/encodeGgufHeader.js";
import { encodeTensorData } from "./gguf/encodeTensorData.js";
import { GgmlType, type WritableGgmlType } from "./gguf/ggmlTypes.js";
import { LlamaFileType } from "./gguf/llamaFileTypeName.js";
import { buildSteeringHead } from "./synth/buildSteeringHead.js";
import { SeededRng } from "./synth/SeededRng.js";
import { CODE_NORM, CODE_START, nominalNormFactor } from "./synth/synthLayout.js";
import { resolveSynthSpec } from "./resolveSynthSpec.js";
import type { SynthModelSpec } from "./synthOptionsSchema.js";
import { synthPresets } from "./synth/synthPresets.js";
import { synthTemplates } from "./synth/synthTemplates.js";
import { buildSynthVocabulary } from "./synth/synthVocabulary.js";
import { SYNTH_GENERATOR_VERSION } from "./synthGeneratorVersion.js";

const quantTypes = { f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0 } as const;
const fileTypes = { f32: LlamaFileType.ALL_F32, f16: LlamaFileType.MOSTLY_F16, q8_0: LlamaFileType.MOSTLY_Q8_0 } as const;

interface TensorPlan extends GgufTensorSpec {
  values: () => Float32Array;
}

/**
 * The bytes of a synthetic GGUF v3 model: random weights arranged so that
 * node-llama-cpp loads it, chats through the ChatML wrapper, embeds, ranks
 * (reranker preset) and ends its answers exactly as the spec says (see
 * buildSteeringHead). Pure and deterministic: the same spec gives the same
 * bytes.
 */
export function buildSynthGguf(input: SynthModelSpec): Buffer {
  const spec = resolveSynthSpec(input);
  const preset = synthPresets[spec.preset];
  const arch = preset.architecture;
  const E = preset.embeddingLength;
  const D = preset.codeDims;
  const V = preset.vocabSize;
  const ctxStart = CODE_START + D;
  const ctxDims = E - ctxStart;
  const headDim = E / preset.headCount;
  const qDim = E;
  const kvDim = headDim * preset.headCountKv;
  const nFf = preset.feedForwardLength;
  const L = preset.blockCount;
  const matType: WritableGgmlType = quantTypes[spec.quant];
  const vocab = buildSynthVocabulary(V);
  const head = buildSteeringHead({ vocabSize: V, embeddingLength: E, codeDims: D }, vocab, spec.answerLength, spec.seed, matType);
  const s0 = nominalNormFactor(E);

  const random = (name: string, n: number, std: number) => () => {
    const out = new Float32Array(n);
    new SeededRng(spec.seed, name).fillUniform(out, std);
    return out;
  };
  const constant = (n: number, value: number) => () => new Float32Array(n).fill(value);
  /** rows x cols, innermost cols; only rows in [rowFrom, rowTo) and cols in [colFrom, colTo) are random. */
  const block =
    (name: string, rows: number, cols: number, std: number, [rowFrom, rowTo]: [number, number], [colFrom, colTo]: [number, number]) =>
    () => {
      const out = new Float32Array(rows * cols);
      const rng = new SeededRng(spec.seed, name);
      for (let r = rowFrom; r < rowTo; r++) rng.fillUniform(out, std, r * cols + colFrom, r * cols + colTo);
      return out;
    };

  const tensors: TensorPlan[] = [{ name: "token_embd.weight", dims: [E, V], type: matType, values: () => head.tokenEmbd }];
  for (let i = 0; i < L; i++) {
    const p = `blk.${i}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [E], type: GgmlType.F32, values: constant(E, 1) },
      // Near-zero queries and keys: attention is a plain running mean.
      { name: `${p}attn_q.weight`, dims: [E, qDim], type: matType, values: random(`${p}attn_q`, E * qDim, 0.002) },
      { name: `${p}attn_k.weight`, dims: [E, kvDim], type: matType, values: random(`${p}attn_k`, E * kvDim, 0.002) },
      // Values read the token code; the output projection writes only context dims.
      {
        name: `${p}attn_v.weight`,
        dims: [E, kvDim],
        type: matType,
        values: block(`${p}attn_v`, kvDim, E, 1 / (s0 * CODE_NORM), [0, kvDim], [CODE_START, ctxStart]),
      },
      {
        name: `${p}attn_output.weight`,
        dims: [qDim, E],
        type: matType,
        values: block(`${p}attn_output`, E, qDim, 0.7 / Math.sqrt(L * qDim * ctxDims), [ctxStart, E], [0, qDim]),
      },
    );
    if (arch === "qwen3") {
      tensors.push(
        { name: `${p}attn_q_norm.weight`, dims: [headDim], type: GgmlType.F32, values: constant(headDim, 0.01) },
        { name: `${p}attn_k_norm.weight`, dims: [headDim], type: GgmlType.F32, values: constant(headDim, 0.01) },
      );
    }
    tensors.push(
      { name: `${p}ffn_norm.weight`, dims: [E], type: GgmlType.F32, values: constant(E, 1) },
      { name: `${p}ffn_gate.weight`, dims: [E, nFf], type: matType, values: random(`${p}ffn_gate`, E * nFf, 1 / Math.sqrt(E)) },
      { name: `${p}ffn_up.weight`, dims: [E, nFf], type: matType, values: random(`${p}ffn_up`, E * nFf, 1 / Math.sqrt(E)) },
      {
        name: `${p}ffn_down.weight`,
        dims: [nFf, E],
        type: matType,
        values: block(`${p}ffn_down`, E, nFf, 0.2 / Math.sqrt(L * nFf * ctxDims), [ctxStart, E], [0, nFf]),
      },
    );
  }
  tensors.push(
    { name: "output_norm.weight", dims: [E], type: GgmlType.F32, values: () => head.outputNorm },
    { name: "output.weight", dims: [E, V], type: matType, values: () => head.output },
  );
  if (preset.classifier) {
    // Relevance label logits from the context dims: "yes" = -"no".
    tensors.push({
      name: "cls.output.weight",
      dims: [E, 2],
      type: GgmlType.F32,
      values: () => {
        const out = new Float32Array(2 * E);
        const rng = new SeededRng(spec.seed, "cls.output");
        for (let d = ctxStart; d < E; d++) {
          out[d] = rng.normal() * 0.5;
          out[E + d] = -out[d];
        }
        return out;
      },
    });
  }

  const kv: Array<[string, GgufWriteValue]> = [
    ["general.architecture", { type: "string", value: arch }],
    // "chatml" in the name makes node-llama-cpp try its ChatML wrapper first when it
    // matches the Jinja template against its wrappers (about 0.4 s per chat session otherwise).
    // The tools template is no plain ChatML: its name says "tools" instead.
    ["general.name", { type: "string", value: `synthetic-${spec.preset}-${spec.template === "chatml" ? "chatml" : "tools"}` }],
    ["general.file_type", { type: "u32", value: fileTypes[spec.quant] }],
    ["general.quantization_version", { type: "u32", value: 2 }],
    ["general.alignment", { type: "u32", value: 32 }],
    [`${arch}.vocab_size`, { type: "u32", value: V }],
    [`${arch}.context_length`, { type: "u32", value: spec.contextLength }],
    [`${arch}.embedding_length`, { type: "u32", value: E }],
    [`${arch}.block_count`, { type: "u32", value: L }],
    [`${arch}.feed_forward_length`, { type: "u32", value: nFf }],
    [`${arch}.attention.head_count`, { type: "u32", value: preset.headCount }],
    [`${arch}.attention.head_count_kv`, { type: "u32", value: preset.headCountKv }],
    [`${arch}.attention.key_length`, { type: "u32", value: headDim }],
    [`${arch}.attention.value_length`, { type: "u32", value: headDim }],
    [`${arch}.rope.dimension_count`, { type: "u32", value: headDim }],
    [`${arch}.rope.freq_base`, { type: "f32", value: 10000 }],
    [`${arch}.attention.layer_norm_rms_epsilon`, { type: "f32", value: 1e-5 }],
    // Rank pooling for the reranker; mean pooling makes chat models' embeddings a bag of token codes.
    [`${arch}.pooling_type`, { type: "u32", value: preset.classifier ? 4 : 1 }],
  ];
  if (preset.classifier) kv.push([`${arch}.classifier.output_labels`, { type: "string[]", value: ["yes", "no"] }]);
  kv.push(
    ["tokenizer.ggml.model", { type: "string", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "string[]", value: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: "f32[]", value: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: vocab.types }],
    ["tokenizer.ggml.unknown_token_id", { type: "u32", value: vocab.unk }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: vocab.bos }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: vocab.imEnd }],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
    ["tokenizer.chat_template", { type: "string", value: synthTemplates[spec.template] }],
    ["aq.synth.version", { type: "u32", value: SYNTH_GENERATOR_VERSION }],
    ["aq.synth.preset", { type: "string", value: spec.preset }],
    ["aq.synth.seed", { type: "u64", value: spec.seed }],
    ["aq.synth.answer_length", { type: "i32", value: spec.answerLength ?? -1 }],
  );

  const layout = encodeGgufHeader(kv, tensors);
  const file = Buffer.alloc(layout.totalBytes);
  layout.header.copy(file, 0);
  tensors.forEach((t, i) => {
    const written = encodeTensorData(t.values(), t.type as WritableGgmlType, file, layout.tensorOffsets[i]);
    if (written !== layout.tensorBytes[i]) throw new Error(`tensor ${t.name}: wrote ${written} bytes, expected ${layout.tensorBytes[i]}`);
  });
  return file;
}
