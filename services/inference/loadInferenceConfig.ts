import { loadConfig } from "../shared/config/loadConfig.js";
import { inferenceConfigSchema, type InferenceConfig } from "./inferenceConfigSchema.js";

export const inferenceEnvPrefix = "AI_INFERENCE_";

/** Reads the inference config once: file (`--config` or AI_STACK_CONFIG), env, flags. */
export function loadInferenceConfig(
  opts: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {},
): InferenceConfig {
  const env = opts.env ?? process.env;
  return loadConfig({
    schema: inferenceConfigSchema,
    envPrefix: inferenceEnvPrefix,
    file: opts.file ?? env.AI_STACK_CONFIG,
    env,
    overrides: opts.overrides,
  });
}
