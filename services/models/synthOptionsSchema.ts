import { z } from "zod";
import { maxAnswerLength } from "./maxAnswerLength.js";
import { synthPresets, type SynthPresetName } from "./synth/synthPresets.js";
import { synthTemplateNames } from "./synth/synthTemplates.js";

const presetNames = Object.keys(synthPresets) as [SynthPresetName, ...SynthPresetName[]];

const specFields = {
  preset: z.enum(presetNames).default("tiny"),
  /** Tensor encoding of the weight matrices; norms stay F32. Default per preset. */
  quant: z.enum(["f32", "f16", "q8_0"]).optional(),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(1),
  /** Written as `<arch>.context_length`. Default per preset. */
  contextLength: z.number().int().min(64).max(1 << 20).optional(),
  /** Every chat answer is exactly this many tokens, then end of turn. */
  answerLength: z.number().int().min(0).optional(),
  /** Every chat answer is empty: the first generated token ends the turn. */
  alwaysEmpty: z.boolean().optional(),
  /**
   * The chat template written into the file: plain ChatML, or ChatML with
   * tool calls (Qwen 2.5 style `<tool_call>` blocks), which node-llama-cpp
   * reads as a model that can call functions.
   */
  template: z.enum(synthTemplateNames).default("chatml"),
};

function checkAnswerFlags(
  v: { preset: SynthPresetName; answerLength?: number; alwaysEmpty?: boolean },
  ctx: z.RefinementCtx,
): void {
  if (v.alwaysEmpty && v.answerLength !== undefined) {
    ctx.addIssue({ code: "custom", path: ["answerLength"], message: "cannot be combined with --always-empty" });
  }
  if (v.answerLength !== undefined && v.answerLength > maxAnswerLength(v.preset)) {
    ctx.addIssue({
      code: "custom",
      path: ["answerLength"],
      message: `at most ${maxAnswerLength(v.preset)} for preset ${v.preset}`,
    });
  }
}

/** What a synthetic model looks like and how it answers. */
export const synthModelSpecSchema = z.object(specFields).superRefine(checkAnswerFlags);

/** synthModelSpecSchema plus the file to write. */
export const synthOptionsSchema = z.object({ out: z.string().min(1), ...specFields }).superRefine(checkAnswerFlags);

/** The same flags as they arrive from the command line (strings). */
export const synthFlagsSchema = z
  .object({
    ...specFields,
    out: z.string().min(1),
    seed: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(1),
    contextLength: z.coerce.number().int().min(64).max(1 << 20).optional(),
    answerLength: z.coerce.number().int().min(0).optional(),
  })
  .superRefine(checkAnswerFlags);

export type SynthModelSpec = z.input<typeof synthModelSpecSchema>;
export type SynthOptions = z.input<typeof synthOptionsSchema>;
