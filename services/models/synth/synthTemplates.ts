import { chatmlTemplate } from "./chatmlTemplate.js";
import { chatmlToolsTemplate } from "./chatmlToolsTemplate.js";

/** The chat templates `aq models synth --template` can write. */
export const synthTemplates = {
  /** Plain ChatML: node-llama-cpp's ChatML wrapper, no function calling. */
  chatml: chatmlTemplate,
  /** ChatML with Qwen 2.5 style tool calls: node-llama-cpp calls functions with it. */
  "chatml-tools": chatmlToolsTemplate,
} as const;

export type SynthTemplateName = keyof typeof synthTemplates;

export const synthTemplateNames = Object.keys(synthTemplates) as [SynthTemplateName, ...SynthTemplateName[]];
