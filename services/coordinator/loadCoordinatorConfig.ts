import { loadConfig } from "../shared/config/loadConfig.js";
import { coordinatorConfigSchema, type CoordinatorConfig } from "./coordinatorConfigSchema.js";

export const coordinatorEnvPrefix = "AI_COORDINATOR_";

/** Environment names kept for operators, mapped onto the coordinator's own keys. */
export const coordinatorEnvAliases: Record<string, string> = {
  AI_CONTEXT_COMPRESSION_ENABLED: "AI_COORDINATOR_COMPRESSION_ENABLED",
  AB_TEST_VARIANT_B_FRACTION: "AI_COORDINATOR_AB_VARIANT_B_FRACTION",
};

/** Reads the coordinator config once: file (`--config` or AI_STACK_CONFIG), env, flags. */
export function loadCoordinatorConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {}): CoordinatorConfig {
  const given = opts.env ?? process.env;
  const env: NodeJS.ProcessEnv = { ...given };
  // The prefixed name wins when both are set.
  for (const [alias, name] of Object.entries(coordinatorEnvAliases)) {
    if (given[alias] !== undefined && given[alias] !== "" && (given[name] === undefined || given[name] === "")) env[name] = given[alias];
  }
  return loadConfig({ schema: coordinatorConfigSchema, envPrefix: coordinatorEnvPrefix, file: opts.file ?? env.AI_STACK_CONFIG, env, overrides: opts.overrides });
}
