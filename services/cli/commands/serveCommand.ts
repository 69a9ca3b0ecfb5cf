import type { z } from "zod";
import { aidbConfigSchema } from "../../aidb/aidbConfigSchema.js";
import { coordinatorConfigSchema } from "../../coordinator/coordinatorConfigSchema.js";
import { inferenceConfigSchema } from "../../inference/inferenceConfigSchema.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { configFlagsHelp, parseConfigFlags, type ParsedConfigFlags } from "../parseConfigFlags.js";

interface Service {
  /** The service's config schema: its keys are the flags. */
  schema: z.ZodObject<z.ZodRawShape>;
  /** Loads the config (file, environment, these flags) and serves until a signal ends the process. */
  start(opts: ParsedConfigFlags): Promise<void>;
}

// The start functions load lazily: inference pulls in node-llama-cpp.
const services: Record<string, Service> = {
  inference: {
    schema: inferenceConfigSchema,
    start: async (opts) => (await import("../../inference/startInference.js")).startInference(opts),
  },
  aidb: {
    schema: aidbConfigSchema,
    start: async (opts) => (await import("../../aidb/startAidb.js")).startAidb(opts),
  },
  coordinator: {
    schema: coordinatorConfigSchema,
    start: async (opts) => (await import("../../coordinator/startCoordinator.js")).startCoordinator(opts),
  },
};

/**
 * `aq serve <service> [--config FILE] [--FLAG VALUE]...`: run one service in
 * the foreground. Every key of the service's config schema is a flag
 * (`queueLimit` → `--queue-limit`), plus a few older names (configFlagAliases);
 * `--help` lists them. A bad flag or value exits 2, naming the flag as typed.
 */
export const serveCommand: Command = async (argv, io) => {
  const [name, ...rest] = argv;
  const service = name !== undefined && Object.hasOwn(services, name) ? services[name] : undefined;
  if (!service) {
    throw new UsageError(`usage: aq serve <${Object.keys(services).join("|")}> [flags]${name ? ` (unknown service '${name}')` : ""}`);
  }
  const command = `aq serve ${name}`;
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(configFlagsHelp(service.schema, command));
    return 0;
  }
  await service.start(parseConfigFlags(rest, service.schema, command));
  return new Promise<number>(() => {}); // runs until a signal ends the process
};
