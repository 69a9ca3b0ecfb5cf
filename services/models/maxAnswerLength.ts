import { buildSynthVocabulary } from "./synth/synthVocabulary.js";
import { synthPresets, type SynthPresetName } from "./synth/synthPresets.js";

/** Longest exact answer a preset supports: each answer token is a distinct vocabulary piece. */
export function maxAnswerLength(preset: SynthPresetName): number {
  return buildSynthVocabulary(synthPresets[preset].vocabSize).textPieces.length;
}
