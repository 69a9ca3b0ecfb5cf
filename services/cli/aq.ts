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
    summary: "serve inference|aidb|coordinator [--FLAG VALUE]...   run one service in the foreground (every config key is a flag; --help lists them)",
  },
  config: {
    run: async (argv, io) => (await import("./commands/configCommand.js")).configCommand(argv, io),
    summary: "config check --service inference|aidb|coordinator FILE   validate a config file as the service would at boot",
  },
  ingest: {
    run: async (argv, io) => (await import("./commands/ingestCommand.js")).ingestCommand(argv, io),
    summary: "ingest PATH|-   add .md/.txt files (or stdin) to a running aidb",
  },
  ask: {
    run: async (argv, io) => (await import("./commands/askCommand.js")).askCommand(argv, io),
    summary: "ask QUESTION|- [--stream] [--project P]   ask the running coordinator",
  },
  status: {
    run: async (argv, io) => (await import("./commands/statusCommand.js")).statusCommand(argv, io),
    summary: "status [--json]   the coordinator's backends and dependencies (exit 1 when unhealthy)",
  },
  rate: {
    run: async (argv, io) => (await import("./commands/rateCommand.js")).rateCommand(argv, io),
    summary: "rate ID good|bad [--note TEXT]   record feedback on an answer",
  },
  gaps: {
    run: async (argv, io) => (await import("./commands/gapsCommand.js")).gapsCommand(argv, io),
    summary: "gaps [--days 7]   the most repeated questions the knowledge base could not answer",
  },
  gc: {
    run: async (argv, io) => (await import("./commands/gcCommand.js")).gcCommand(argv, io),
    summary: "gc [--dry-run]   delete stale, never-used documents from aidb",
  },
  proposals: {
    run: async (argv, io) => (await import("./commands/proposalsCommand.js")).proposalsCommand(argv, io),
    summary: "proposals list|show|approve|reject|generate   the learning loop's proposed changes (threshold, rewrites, code)",
  },
  sources: {
    run: async (argv, io) => (await import("./commands/sourcesCommand.js")).sourcesCommand(argv, io),
    summary: "sources list|sync [--id ID] [--dry-run] [--registry FILE]   knowledge sources (directories, URLs) synced into aidb",
  },
  eval: {
    run: async (argv, io) => (await import("./commands/evalCommand.js")).evalCommand(argv, io),
    summary: "eval [--suite FILE] [--answers auto|run|skip] [--strict]   run the eval suite against the stack, store the score, print the trend",
  },
  "continuous-learning": {
    run: async (argv, io) => (await import("./commands/continuousLearningCommand.js")).continuousLearningCommand(argv, io),
    summary: "continuous-learning [--telemetry-file F] [--state-dir D] [--once]   keep answered questions from the telemetry as compressed learning sessions",
  },
  dlq: {
    run: async (argv, io) => (await import("./commands/dlqCommand.js")).dlqCommand(argv, io),
    summary: "dlq list|retry|drop [--id N]   documents aidb dead-lettered after their retries",
  },
  keys: {
    run: async (argv, io) => (await import("./commands/keysCommand.js")).keysCommand(argv, io),
    summary: "keys create --name N --scopes query,ingest,admin [--file F] | list --file F | revoke --name N --file F   API keys",
  },
  audit: {
    run: async (argv, io) => (await import("./commands/auditCommand.js")).auditCommand(argv, io),
    summary: "audit verify FILE | serve --socket S --file F   check the audit trail's hash chain, or run its writer",
  },
  "gpu-metrics": {
    run: async (argv, io) => (await import("./commands/gpuMetricsCommand.js")).gpuMetricsCommand(argv, io),
    summary: "gpu-metrics --textfile-dir DIR [--once]   write GPU metrics (AMD sysfs, nvidia-smi) for node-exporter",
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
