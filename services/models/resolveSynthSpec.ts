import { synthPresets, type SynthPresetName } from "./synth/synthPresets.js";
import type { SynthTemplateName } from "./synth/synthTemplates.js";
import { synthModelSpecSchema, type SynthModelSpec } from "./synthOptionsSchema.js";

export interface ResolvedSynthSpec {
  preset: SynthPresetName;
  quant: "f32" | "f16" | "q8_0";
  seed: number;
  contextLength: number;
  /** null: answers never end on their own (generation runs to maxTokens). */
  answerLength: number | null;
  template: SynthTemplateName;
}

/** Validates (throws a ZodError) and fills in the per-preset defaults. */
export function resolveSynthSpec(input: SynthModelSpec): ResolvedSynthSpec {
  const spec = synthModelSpecSchema.parse(input);
  const preset = synthPresets[spec.preset];
  return {
    preset: spec.preset,
    quant: spec.quant ?? preset.defaultQuant,
    seed: spec.seed,
    contextLength: spec.contextLength ?? preset.defaultContextLength,
    answerLength: spec.alwaysEmpty ? 0 : (spec.answerLength ?? null),
    template: spec.template,
  };
}
