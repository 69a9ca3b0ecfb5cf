/** Shapes of the synthetic models `aq models synth` can write. */
export interface SynthPreset {
  architecture: "llama" | "qwen3";
  vocabSize: number;
  embeddingLength: number;
  blockCount: number;
  headCount: number;
  headCountKv: number;
  feedForwardLength: number;
  /** Embedding dimensions that carry token identity (the rest: bias, flag, context). */
  codeDims: number;
  defaultQuant: "f32" | "f16" | "q8_0";
  defaultContextLength: number;
  /** Reranker head: `cls.output.weight` with the labels yes/no and rank pooling. */
  classifier: boolean;
}

export const synthPresets = {
  tiny: {
    architecture: "llama",
    vocabSize: 512,
    embeddingLength: 64,
    blockCount: 2,
    headCount: 4,
    headCountKv: 4,
    feedForwardLength: 128,
    codeDims: 46,
    defaultQuant: "q8_0",
    defaultContextLength: 2048,
    classifier: false,
  },
  bench: {
    architecture: "llama",
    vocabSize: 32000,
    embeddingLength: 512,
    blockCount: 8,
    headCount: 8,
    headCountKv: 4,
    feedForwardLength: 1536,
    codeDims: 446,
    defaultQuant: "q8_0",
    defaultContextLength: 4096,
    classifier: false,
  },
  reranker: {
    architecture: "qwen3",
    vocabSize: 512,
    embeddingLength: 64,
    blockCount: 2,
    headCount: 4,
    headCountKv: 2,
    feedForwardLength: 128,
    codeDims: 46,
    defaultQuant: "q8_0",
    defaultContextLength: 512,
    classifier: true,
  },
} as const satisfies Record<string, SynthPreset>;

export type SynthPresetName = keyof typeof synthPresets;
