import { z } from "zod";
import { CheckpointVersionError } from "../../coordinator/telemetry/daemon/checkpointSchema.js";
import { ContinuousLearningAlreadyRunningError } from "../../coordinator/telemetry/daemon/ContinuousLearningAlreadyRunningError.js";
import { continuousLearningConfigSchema } from "../../coordinator/telemetry/daemon/continuousLearningConfigSchema.js";
import { createContinuousLearningDaemon } from "../../coordinator/telemetry/daemon/createContinuousLearningDaemon.js";
import { formatZodIssues } from "../../shared/formatZodIssues.js";
import { createLogger } from "../../shared/logging/createLogger.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { parseFlags } from "../parseFlags.js";

/** Exit code of a second daemon on the same state directory. */
export const alreadyRunningExitCode = 3;

const flagsSchema = z.object({
  telemetryFile: z.string().optional(),
  stateDir: z.string().optional(),
  minFreeBytes: z.string().optional(),
  rotateBytes: z.string().optional(),
  retryMs: z.string().optional(),
  once: z.boolean().default(false),
});

/**
 * `aq continuous-learning [--telemetry-file F] [--state-dir D] [--min-free-bytes N]
 * [--rotate-bytes N] [--retry-ms N] [--once]`: the continuous-learning daemon
 * (docs/learning.md). Runs until SIGTERM/SIGINT; --once reads what is there
 * and exits. Exit 3 with continuous_learning_already_running when another
 * holds the lock; 2 for bad settings or a checkpoint from a newer version.
 */
export const continuousLearningCommand: Command = async (argv, io) => {
  const { flags, positionals } = parseFlags(argv, flagsSchema, { booleans: ["once"], allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const { once, ...rest } = flags;
  const raw = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined).map(([k, v]) => [k, k === "telemetryFile" || k === "stateDir" ? v : Number(v)]));
  const parsed = continuousLearningConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = formatZodIssues(parsed.error)[0]!;
    throw new UsageError(`invalid "${issue.path}": ${issue.message}`);
  }
  const logger = createLogger({ name: "continuous-learning" });
  let daemon;
  try {
    daemon = createContinuousLearningDaemon(parsed.data, logger);
  } catch (err) {
    if (err instanceof ContinuousLearningAlreadyRunningError) {
      io.err(JSON.stringify({ level: "error", event: err.code, pid: err.pid, lock_file: err.lockFile, msg: err.message }));
      return alreadyRunningExitCode;
    }
    if (err instanceof CheckpointVersionError) throw new UsageError(err.message);
    throw err;
  }
  if (once) {
    const r = await daemon.tick();
    await daemon.stop();
    io.out(JSON.stringify({ examples: r.examples, skipped: r.skipped, blocked: r.blocked, checkpoint: daemon.checkpoint() }));
    return r.blocked ? 1 : 0;
  }
  await daemon.start();
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await daemon.stop();
  logger.info({ event: "continuous_learning_stopped", checkpoint: daemon.checkpoint().source }, "continuous learning stopped");
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  return 0;
};
