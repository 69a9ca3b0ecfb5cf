#!/usr/bin/env node
import { UsageError } from "../shared/UsageError.js";
import { processIo, type Command } from "./CommandIo.js";
// Commands load lazily: `serve` pulls in node-llama-cpp (most of a second),
// which `models inspect` does not need.
const commands: Record<string, { run: Command; summary: string }> = {
  up: {
    run: async (argv, io) => (await import("./commands/upCommand.js")).upCommand(argv, io),
    summary: "up [--data-dir DIR] [--chat-model FILE]   start the whole stack (inference, aidb, coordinator)",
  },
  serve: {
    run: async (argv, io) => (await import("./commands/serveCommand.js")).serveCommand(argv, io),
    summary: "serve inference|aidb|coordinator   run one service in the foreground",
  },
  ingest: {
    run: async (argv, io) => (await import("./commands/ingestCommand.js")).ingestCommand(argv, io),
    summary: "ingest PATH|-   add .md/.txt files (or stdin) to a running aidb",
  },
  gc: {
    run: async (argv, io) => (await import("./commands/gcCommand.js")).gcCommand(argv, io),
    summary: "gc [--dry-run]   delete stale, never-used documents from aidb",
  },
  models: {
    run: async (argv, io) => (await import("./commands/modelsCommand.js")).modelsCommand(argv, io),
    summary: "models synth|inspect   make or check GGUF model files",
  },
};

function usage(): string {
  return ["usage: aq <command> [options]", "", "commands:", ...Object.values(commands).map((c) => `  ${c.summary}`)].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    processIo.out(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    processIo.err(`aq: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, processIo);
  } catch (err) {
    if (err instanceof UsageError) {
      processIo.err(`aq ${name}: ${err.message}`);
      return err.exitCode;
    }
    processIo.err(`aq ${name}: internal error: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// A long-running command (serve) keeps the event loop alive and returns only
// on shutdown; short commands exit with their code.
process.exitCode = code;
