import { z } from "zod";
import { startInference } from "../../inference/startInference.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { parseFlags } from "../parseFlags.js";

// Flags are strings here; the service's config schema validates and
// coerces them together with the config file and environment.
const inferenceFlags = z.object({
  config: z.string().optional(),
  chatModel: z.string().optional(),
  chatModelSha256: z.string().optional(),
  embedModel: z.string().optional(),
  embedModelSha256: z.string().optional(),
  rerankModel: z.string().optional(),
  rerankModelSha256: z.string().optional(),
  port: z.string().optional(),
  host: z.string().optional(),
  sequences: z.string().optional(),
  threads: z.string().optional(),
  queueLimit: z.string().optional(),
  contextSize: z.string().optional(),
  logLevel: z.string().optional(),
});

const aidbFlags = z.object({
  config: z.string().optional(),
  dataDir: z.string().optional(),
  databaseUrl: z.string().optional(),
  embedUrl: z.string().optional(),
  embedModel: z.string().optional(),
  embedModelSha256: z.string().optional(),
  redisUrl: z.string().optional(),
  cacheEpoch: z.string().optional(),
  port: z.string().optional(),
  host: z.string().optional(),
  threads: z.string().optional(),
  efSearch: z.string().optional(),
  injectionThreshold: z.string().optional(),
  maxDocumentBytes: z.string().optional(),
  logLevel: z.string().optional(),
});

const coordinatorFlags = z.object({
  config: z.string().optional(),
  stateDir: z.string().optional(),
  dataDir: z.string().optional(),
  databaseUrl: z.string().optional(),
  inferenceUrl: z.string().optional(),
  embedUrl: z.string().optional(),
  rerankUrl: z.string().optional(),
  aidbUrl: z.string().optional(),
  redisUrl: z.string().optional(),
  remoteUrl: z.string().optional(),
  remoteKeyFile: z.string().optional(),
  remoteModel: z.string().optional(),
  port: z.string().optional(),
  host: z.string().optional(),
  maxTokens: z.string().optional(),
  maxQueryChars: z.string().optional(),
  contextTokenBudget: z.string().optional(),
  retrievalLimit: z.string().optional(),
  gapScoreThreshold: z.string().optional(),
  queryRewrite: z.string().optional(),
  abVariantBFraction: z.string().optional(),
  logLevel: z.string().optional(),
});

const services: Record<string, Command> = {
  inference: async (argv) => {
    const { flags } = parseFlags(argv, inferenceFlags);
    const { config, ...overrides } = flags;
    await startInference({ file: config, overrides });
    return new Promise<number>(() => {}); // runs until a signal ends the process
  },
  aidb: async (argv) => {
    const { flags } = parseFlags(argv, aidbFlags);
    const { config, embedUrl, ...rest } = flags;
    // `--embed-url` is the config key `embeddingsUrl` (the name NixOS renders).
    const { startAidb } = await import("../../aidb/startAidb.js");
    await startAidb({ file: config, overrides: { ...rest, embeddingsUrl: embedUrl } });
    return new Promise<number>(() => {});
  },
  coordinator: async (argv) => {
    const { flags } = parseFlags(argv, coordinatorFlags);
    const { config, dataDir, embedUrl, remoteUrl, remoteKeyFile, ...rest } = flags;
    // Flag names follow `aq up`; config keys follow the NixOS settings.
    const { startCoordinator } = await import("../../coordinator/startCoordinator.js");
    await startCoordinator({
      file: config,
      overrides: { ...rest, stateDir: rest.stateDir ?? dataDir, embeddingsUrl: embedUrl, remoteLlmUrl: remoteUrl, remoteLlmKeyFile: remoteKeyFile },
    });
    return new Promise<number>(() => {});
  },
};

/** `aq serve <service> [flags]`: run one service in the foreground. */
export const serveCommand: Command = async (argv, io) => {
  const [name, ...rest] = argv;
  const service = name ? services[name] : undefined;
  if (!service) {
    throw new UsageError(`usage: aq serve <${Object.keys(services).join("|")}> [flags]${name ? ` (unknown service '${name}')` : ""}`);
  }
  return service(rest, io);
};
