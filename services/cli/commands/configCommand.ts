import { z } from "zod";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { parseFlags } from "../parseFlags.js";

/**
 * Each service's own boot-time config loader, given the file alone: an empty
 * environment (so neither AI_STACK_CONFIG nor any `AI_<SERVICE>_*` variable
 * counts) and no flags. The same schema, the same unknown-key check and the
 * same messages as `aq serve <service> --config FILE`. Files the config names
 * (models, key files) are not opened: they exist only where the service runs.
 */
const loaders = {
  inference: async (file: string) => (await import("../../inference/loadInferenceConfig.js")).loadInferenceConfig({ file, env: {} }),
  aidb: async (file: string) => (await import("../../aidb/loadAidbConfig.js")).loadAidbConfig({ file, env: {} }),
  coordinator: async (file: string) => (await import("../../coordinator/loadCoordinatorConfig.js")).loadCoordinatorConfig({ file, env: {} }),
} satisfies Record<string, (file: string) => Promise<unknown>>;

type ServiceName = keyof typeof loaders;
const serviceNames = Object.keys(loaders) as [ServiceName, ...ServiceName[]];

const checkUsage = `usage: aq config check --service ${serviceNames.join("|")} FILE`;

const checkFlags = z.object({ service: z.enum(serviceNames) });

/**
 * `aq config check --service inference|aidb|coordinator FILE`: validates a
 * service's JSON config file against that service's schema, as the service
 * would at boot. Exit 0 with one line when the file is valid; exit 2 naming
 * the key, the value and what was expected when it is not. The NixOS module
 * runs it on every generated config, so a bad setting fails the build.
 */
export const configCommand: Command = async (argv, io) => {
  const [sub, ...rest] = argv;
  if (sub !== "check") throw new UsageError(`${checkUsage}${sub ? ` (unknown subcommand '${sub}')` : ""}`);
  const { flags, positionals } = parseFlags(rest, checkFlags, { allowPositionals: true });
  if (positionals.length !== 1) {
    throw new UsageError(`${positionals.length === 0 ? "no FILE given" : `one FILE only, got ${positionals.length}`}; ${checkUsage}`);
  }
  const file = positionals[0]!;
  // A ConfigError (exit 2) carries the service's own boot-time message.
  await loaders[flags.service](file);
  io.out(`${file}: valid ${flags.service} config`);
  return 0;
};
