import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { readAmdGpus } from "../../gpu/readAmdGpus.js";
import { readNvidiaGpus } from "../../gpu/readNvidiaGpus.js";
import { GPU_TEXTFILE_NAME, renderGpuTextfile } from "../../gpu/renderGpuTextfile.js";
import { writeTextfileAtomic } from "../../gpu/writeTextfileAtomic.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command, CommandIo } from "../CommandIo.js";
import { parseFlags } from "../parseFlags.js";

export const gpuMetricsUsage =
  "usage: aq gpu-metrics --textfile-dir DIR [--sysfs-root /sys] [--nvidia-smi PATH] [--interval SECONDS | --once]";

const DEFAULT_INTERVAL_S = 15;

const flagsSchema = z.object({
  textfileDir: z.string().min(1, "must not be empty").optional(),
  sysfsRoot: z.string().min(1, "must not be empty").default("/sys"),
  nvidiaSmi: z.string().min(1, "must not be empty").optional(),
  interval: z
    .string()
    .regex(/^\d+(\.\d+)?$/, "expected a number of seconds")
    .transform(Number)
    .pipe(z.number().min(1, "at least 1 second").max(86_400, "at most 86400 seconds"))
    .optional(),
  once: z.boolean().default(false),
});

/**
 * `aq gpu-metrics --textfile-dir DIR [--sysfs-root /sys] [--nvidia-smi PATH]
 * [--interval SECONDS | --once]`: writes DIR/ai_stack_gpu.prom for
 * node-exporter's textfile collector: AMD cards from sysfs, NVIDIA GPUs from
 * nvidia-smi (from PATH unless --nvidia-smi names it). Each write is atomic
 * (temporary file and rename). `--once` writes once and exits 0 (1 when the
 * file cannot be written); otherwise it rewrites the file every interval
 * (default 15 s) until SIGTERM or SIGINT, then exits 0. Bad flags exit 2.
 * Read errors go to stderr (once per distinct set) and into the file's
 * ai_stack_gpu_scrape_errors gauge.
 */
export const gpuMetricsCommand: Command = async (argv, io) => {
  const { flags } = parseFlags(argv, flagsSchema, { booleans: ["once"] });
  if (flags.textfileDir === undefined) throw new UsageError(`--textfile-dir: required; ${gpuMetricsUsage}`);
  if (flags.once && flags.interval !== undefined) throw new UsageError(`--interval: cannot be combined with --once; ${gpuMetricsUsage}`);
  await requireDirectory("--textfile-dir", flags.textfileDir);
  await requireDirectory("--sysfs-root", flags.sysfsRoot);
  if (flags.nvidiaSmi !== undefined) {
    try {
      await access(flags.nvidiaSmi, constants.X_OK);
    } catch {
      throw new UsageError(`--nvidia-smi: ${flags.nvidiaSmi} is not an executable file`);
    }
  }

  const target = join(flags.textfileDir, GPU_TEXTFILE_NAME);
  let lastMessages = "";
  const pass = async () => {
    const [amd, nvidia] = await Promise.all([readAmdGpus(flags.sysfsRoot), readNvidiaGpus({ nvidiaSmi: flags.nvidiaSmi ?? "nvidia-smi" })]);
    const messages = [...amd.messages, ...nvidia.messages].join("\n");
    // Report a set of errors once, not on every pass.
    if (messages !== "" && messages !== lastMessages) io.err(`aq gpu-metrics: read errors:\n${messages}`);
    lastMessages = messages;
    await writeTextfileAtomic(target, renderGpuTextfile({ amd, nvidia }));
  };

  if (flags.once) {
    try {
      await pass();
      return 0;
    } catch (err) {
      io.err(`aq gpu-metrics: cannot write ${target}: ${(err as Error).message}`);
      return 1;
    }
  }
  return loop(pass, target, flags.interval ?? DEFAULT_INTERVAL_S, io);
};

async function loop(pass: () => Promise<void>, target: string, intervalS: number, io: CommandIo): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  io.out(`aq gpu-metrics: writing ${target} every ${intervalS} s`);
  let failing = false;
  try {
    while (!stop.signal.aborted) {
      try {
        await pass();
        failing = false;
      } catch (err) {
        if (!failing) io.err(`aq gpu-metrics: cannot write ${target}: ${(err as Error).message}`);
        failing = true;
      }
      await sleep(intervalS * 1000, undefined, { signal: stop.signal }).catch(() => {});
    }
    return 0;
  } finally {
    process.removeListener("SIGTERM", onSignal);
    process.removeListener("SIGINT", onSignal);
  }
}

async function requireDirectory(flag: string, path: string): Promise<void> {
  const s = await stat(path).catch(() => undefined);
  if (!s?.isDirectory()) throw new UsageError(`${flag}: ${path} is not a directory`);
}
