import { existsSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import ports from "../../../lib/ports.json" with { type: "json" };
import { launchStack } from "../../stack/launchStack.js";
import { isLoopbackAddress } from "../../shared/access/isLoopbackAddress.js";
import { parseKeysFile } from "../../shared/access/parseKeysFile.js";
import { hostField } from "../../shared/config/fields.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { parseFlags } from "../parseFlags.js";

const port = (name: string) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a port number`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(65535))
    .optional();

const upFlags = z.object({
  dataDir: z.string().min(1).default(".data"),
  chatModel: z.string().min(1).optional(),
  embedModel: z.string().min(1).optional(),
  rerankModel: z.string().min(1).optional(),
  remoteUrl: z.string().url().optional(),
  remoteKeyFile: z.string().min(1).optional(),
  remoteModel: z.string().min(1).optional(),
  redisUrl: z.string().regex(/^rediss?:\/\//, "expected a redis:// URL").optional(),
  coordinatorPort: port("--coordinator-port"),
  aidbPort: port("--aidb-port"),
  inferencePort: port("--inference-port"),
  embedPort: port("--embed-port"),
  /** Where the coordinator listens; the other services stay on 127.0.0.1. */
  host: hostField().optional(),
  /** The keys file every service enforces (aq keys create --file F). Required for --host beyond loopback. */
  apiKeysFile: z.string().min(1).optional(),
  /**
   * The embedding model's prefixes (lib/models.json `prefixes`, e.g.
   * nomic-embed-text's "search_query: " and "search_document: "): aidb puts
   * them before queries and documents, the coordinator before the questions
   * it embeds for its cache.
   */
  embedQueryPrefix: z.string().max(200).optional(),
  embedDocumentPrefix: z.string().max(200).optional(),
});

export const upUsage =
  "usage: aq up [--data-dir DIR] [--chat-model FILE] [--embed-model FILE] [--rerank-model FILE] [--remote-url URL --remote-key-file F] " +
  "[--redis-url URL] [--coordinator-port N] [--aidb-port N] [--inference-port N] [--embed-port N] [--host ADDRESS --api-keys-file F] " +
  "[--embed-query-prefix TEXT] [--embed-document-prefix TEXT]";

/**
 * `aq up`: the whole stack on this machine, with embedded defaults. Without
 * models it generates synthetic ones (random weights) in the data directory
 * and says so loudly. Runs until Ctrl-C or SIGTERM, then stops every service
 * gracefully.
 */
export const upCommand: Command = async (argv, io) => {
  const { flags } = parseFlags(argv, upFlags);
  if (flags.remoteKeyFile && !flags.remoteUrl) throw new UsageError("--remote-key-file needs --remote-url");
  // The rule the NixOS module checks at build time: beyond loopback, keys.
  if (flags.host && !isLoopbackAddress(flags.host) && !flags.apiKeysFile) {
    throw new UsageError(`--host ${flags.host} would open the stack beyond this machine without API keys: add --api-keys-file F (aq keys create --name NAME --scopes query --file F), or leave --host out`);
  }
  for (const [flag, file] of [
    ["--chat-model", flags.chatModel],
    ["--embed-model", flags.embedModel],
    ["--rerank-model", flags.rerankModel],
    ["--remote-key-file", flags.remoteKeyFile],
    ["--api-keys-file", flags.apiKeysFile],
  ] as const) {
    if (file && !existsSync(file)) throw new UsageError(`${flag}: no such file: ${file}`);
  }
  // A bad keys file stops here, before any service starts.
  const keyCount = flags.apiKeysFile ? parseKeysFile(readFileSync(flags.apiKeysFile, "utf8"), `--api-keys-file ${flags.apiKeysFile}`).length : 0;
  if (flags.apiKeysFile && keyCount === 0) io.err(`aq up: WARNING: ${flags.apiKeysFile} has no keys; every request that needs one will be refused (aq keys create --file ${flags.apiKeysFile} ...)`);
  const dataDir = resolve(flags.dataDir);
  mkdirSync(dataDir, { recursive: true });

  let chatModel = flags.chatModel;
  let embedModel = flags.embedModel;
  let rerankModel = flags.rerankModel;
  if (!chatModel || !embedModel) {
    const { synthModel } = await import("../../models/synthModel.js");
    const dir = join(dataDir, "models");
    mkdirSync(dir, { recursive: true });
    const make = async (file: string, spec: Parameters<typeof synthModel>[0]) => {
      if (!existsSync(file)) await synthModel(spec);
      return file;
    };
    if (!chatModel) {
      // A demo answer of 48 tokens, then end of turn.
      chatModel = await make(join(dir, "demo-chat.gguf"), { out: join(dir, "demo-chat.gguf"), preset: "tiny", seed: 1, answerLength: 48 });
      io.err(
        [
          "",
          "  ################################################################",
          "  #  WARNING: no --chat-model given. Serving a SYNTHETIC demo    #",
          "  #  model with RANDOM WEIGHTS: its answers are random words.    #",
          "  #  Pass --chat-model FILE.gguf for a real model.               #",
          "  ################################################################",
          "",
        ].join("\n"),
      );
    }
    if (!embedModel) {
      embedModel = await make(join(dir, "demo-embed.gguf"), { out: join(dir, "demo-embed.gguf"), preset: "tiny", seed: 3 });
      io.err("  WARNING: no --embed-model given: a synthetic embedding model (random weights) is used; search ranking is meaningless.\n");
      if (!rerankModel) rerankModel = await make(join(dir, "demo-rerank.gguf"), { out: join(dir, "demo-rerank.gguf"), preset: "reranker", seed: 1 });
    }
  }

  // The services run from the same bundle as this command.
  const aqBin = realpathSync(process.argv[1]!);
  // Starting can take a while; a signal meanwhile must not kill this process
  // and orphan the services already started: stop them once launched.
  let signalledDuringStart: string | undefined;
  const startAbort = new AbortController();
  let onSignal = (signal: string) => {
    if (signalledDuringStart) return;
    signalledDuringStart = signal;
    io.err(`aq up: ${signal}: stopping the services started so far...`);
    startAbort.abort();
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  const stack = await launchStack({
    aqBin,
    dataDir,
    chatModel,
    embedModel,
    rerankModel,
    remoteUrl: flags.remoteUrl,
    remoteKeyFile: flags.remoteKeyFile,
    remoteModel: flags.remoteModel,
    redisUrl: flags.redisUrl,
    host: flags.host,
    apiKeysFile: flags.apiKeysFile && resolve(flags.apiKeysFile),
    extraArgs: {
      aidb: [
        ...(flags.embedQueryPrefix ? ["--embed-query-prefix", flags.embedQueryPrefix] : []),
        ...(flags.embedDocumentPrefix ? ["--embed-document-prefix", flags.embedDocumentPrefix] : []),
      ],
      coordinator: flags.embedQueryPrefix ? ["--embed-query-prefix", flags.embedQueryPrefix] : [],
    },
    ports: {
      inference: flags.inferencePort ?? ports.inferenceChat,
      embeddings: flags.embedPort ?? ports.inferenceEmbed,
      aidb: flags.aidbPort ?? ports.aidb,
      coordinator: flags.coordinatorPort ?? ports.coordinator,
    },
    signal: startAbort.signal,
  }).catch((err: unknown) => {
    // Aborted by a signal (Ctrl-C also reaches the services): launchStack has stopped the rest.
    if (signalledDuringStart) return undefined;
    // A service that failed to start: its log tail is in the message; no stack trace.
    io.err(`aq up: ${(err as Error).message}`);
    return null;
  });
  if (stack === null) return 1;
  if (!stack) {
    io.err("aq up: stopped");
    return 0;
  }

  io.out(
    [
      "ai-stack is up:",
      `  coordinator  ${stack.urls.coordinator}   (POST /query, OpenAI API at ${stack.urls.coordinator}/v1)`,
      `  aidb         ${stack.urls.aidb}`,
      `  inference    ${stack.urls.inference}`,
      `  embeddings   ${stack.urls.embeddings}`,
      `  data         ${dataDir}`,
      `  logs         ${join(dataDir, "logs")}`,
      `  access       ${flags.apiKeysFile ? `API keys enforced (${keyCount} in ${flags.apiKeysFile}); services use an internal key made for this run` : "no API keys (loopback only)"}; audit trail ${stack.auditFile}`,
      `  semantic cache ${flags.redisUrl ? `on (${flags.redisUrl.replace(/\/\/[^@/]*@/, "//[REDACTED]@")})` : "off (no --redis-url)"}; remote LLM ${flags.remoteUrl ? flags.remoteUrl : "not configured"}`,
      "Try: aq ask \"what is a flake?\"   Stop: Ctrl-C",
    ].join("\n"),
  );

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      io.err(`aq up: ${signal}: stopping the stack...`);
      void stack.stop().then(() => {
        io.err("aq up: stopped");
        resolveExit(0);
      });
    };
    onSignal = stop;
    if (signalledDuringStart) stop(signalledDuringStart);
    // A service that dies on its own takes the stack down with an error.
    for (const svc of Object.values(stack.services)) {
      svc.child.once("exit", (code, signal) => {
        if (stopping) return;
        io.err(`aq up: ${svc.name} exited (${signal ?? `code ${code}`}); see ${svc.logFile}. Stopping the rest.`);
        stopping = true;
        void stack.stop().then(() => resolveExit(1));
      });
    }
  });
};
