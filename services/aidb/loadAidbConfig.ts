import { loadConfig } from "../shared/config/loadConfig.js";
import { aidbConfigSchema, type AidbConfig } from "./aidbConfigSchema.js";

export const aidbEnvPrefix = "AI_AIDB_";

/** Reads the aidb config once: file (`--config` or AI_STACK_CONFIG), env, flags. */
export function loadAidbConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {}): AidbConfig {
  const env = opts.env ?? process.env;
  return loadConfig({ schema: aidbConfigSchema, envPrefix: aidbEnvPrefix, file: opts.file ?? env.AI_STACK_CONFIG, env, overrides: opts.overrides });
}
