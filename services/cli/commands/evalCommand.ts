import { readFileSync } from "node:fs";
import { z } from "zod";
import defaultSuite from "../../../lib/eval-suite.json" with { type: "json" };
import ports from "../../../lib/ports.json" with { type: "json" };
import { createAidbClient, defaultAidbUrl } from "../../aidb/api/createAidbClient.js";
import { createCoordinatorClient, defaultCoordinatorUrl } from "../../coordinator/api/createCoordinatorClient.js";
import { createInferenceClient } from "../../inference/api/createInferenceClient.js";
import { evalSuiteSchema, type EvalSuite } from "../../stack/eval/evalSuiteSchema.js";
import { formatTrend } from "../../stack/eval/formatTrend.js";
import { runEvalSuite } from "../../stack/eval/runEvalSuite.js";
import { formatZodIssues } from "../../shared/formatZodIssues.js";
import { serviceBaseUrl } from "../../shared/http/serviceBaseUrl.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { reportFailures } from "../reportFailures.js";
import { describeServiceError } from "../describeServiceError.js";
import { parseFlags } from "../parseFlags.js";
import { readCliApiKey } from "../readCliApiKey.js";

export const evalUsage =
  "usage: aq eval [--suite FILE] [--answers auto|run|skip] [--history N] [--wait-ready SECONDS] [--strict] [--json] [--url COORDINATOR_URL] [--aidb-url URL] [--inference-url URL] [--api-key-file FILE]";

const flagsSchema = z.object({
  suite: z.string().min(1).optional(),
  answers: z.enum(["auto", "run", "skip"]).default("auto"),
  history: z.coerce.number().int().min(1).max(100).default(10),
  waitReady: z.coerce.number().min(0).max(3600).default(0),
  strict: z.boolean().default(false),
  json: z.boolean().default(false),
  url: z.string().optional(),
  aidbUrl: z.string().optional(),
  inferenceUrl: z.string().optional(),
  apiKeyFile: z.string().min(1).optional(),
});

function readSuite(file: string | undefined): EvalSuite {
  let value: unknown = defaultSuite;
  if (file) {
    try {
      value = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw new UsageError(`--suite ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const parsed = evalSuiteSchema.safeParse(value);
  if (!parsed.success) {
    const issue = formatZodIssues(parsed.error)[0]!;
    throw new UsageError(`${file ?? "the default suite"}: invalid "${issue.path}": ${issue.message}`);
  }
  return parsed.data;
}

const pct = (x: number | null) => (x === null ? "n/a" : `${Math.round(x * 1000) / 10}%`);

/**
 * `aq eval`: runs an eval suite against the running stack (lib/eval-suite.json
 * unless --suite), stores the run's score and details in aidb and prints each
 * case, the score and the trend of the suite's runs. Below the suite's floor
 * it prints a warning (and a JSON `eval_below_floor` line on stderr for
 * journald); --strict then exits 1. Answer checks run only with a real model:
 * --answers auto skips them by design when the local model is synthetic.
 */
export const evalCommand: Command = reportFailures("eval", (argv, io) => evaluate(argv, io));

const evaluate: Command = async (argv, io) => {
  const { flags, positionals } = parseFlags(argv, flagsSchema, { booleans: ["strict", "json"], allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(evalUsage);
  const suite = readSuite(flags.suite);
  const coordinatorUrl = serviceBaseUrl(flags.url, defaultCoordinatorUrl);
  const apiKey = readCliApiKey(flags.apiKeyFile);
  const coordinator = createCoordinatorClient({ baseUrl: coordinatorUrl, apiKey });
  const aidb = createAidbClient({ url: serviceBaseUrl(flags.aidbUrl, defaultAidbUrl), timeoutMs: 600_000, apiKey });

  // Run from a unit at boot: wait for the coordinator first.
  const deadline = Date.now() + flags.waitReady * 1000;
  for (;;) {
    const ready = await fetch(`${coordinatorUrl}/ready`).then((r) => r.ok, () => false);
    if (ready || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }

  let modelName: string | null = null;
  let answers: "run" | "skip_synthetic" = flags.answers === "skip" ? "skip_synthetic" : "run";
  if (flags.answers === "auto") {
    const inference = createInferenceClient({ service: "local inference", baseUrl: serviceBaseUrl(flags.inferenceUrl, `http://127.0.0.1:${ports.inferenceChat}`), timeoutMs: 10_000, apiKey });
    modelName = (await inference.status().catch(() => undefined))?.model_name ?? null;
    if (modelName?.startsWith("synthetic-")) answers = "skip_synthetic";
  }

  const run = await runEvalSuite(suite, { coordinator, aidb, answers, modelName });
  const stored = await aidb.evalRuns.add(run);
  const history = await aidb.evalRuns.list({ suite: suite.name, limit: flags.history });
  const below = run.score !== null && run.score < suite.floor;
  if (below) {
    io.err(JSON.stringify({ level: "warn", event: "eval_below_floor", suite: suite.name, score: run.score, floor: suite.floor, eval_run_id: stored.id }));
  }
  if (flags.json) {
    io.out(JSON.stringify({ run: stored, below_floor: below, trend: history.map((r) => ({ started_at: r.started_at, score: r.score })).reverse() }));
  } else {
    for (const c of run.details.cases) io.out(`${c.outcome.padEnd(17)} ${c.kind.padEnd(9)} ${c.id}: ${c.detail}`);
    for (const n of run.details.notes) io.out(`note: ${n}`);
    io.out(`score ${pct(run.score)} (${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped by design); floor ${pct(suite.floor)}`);
    io.out(formatTrend(history));
    if (below) io.out(`WARNING: the ${suite.name} suite scored ${pct(run.score)}, below its ${pct(suite.floor)} floor`);
  }
  return below && flags.strict ? 1 : 0;
};
