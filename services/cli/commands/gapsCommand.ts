import { z } from "zod";
import { createCoordinatorClient, defaultCoordinatorUrl } from "../../coordinator/api/createCoordinatorClient.js";
import { defaultGapsDays, maxGapsDays } from "../../coordinator/api/gapsContract.js";
import { formatGaps } from "../../coordinator/store/formatGaps.js";
import { serviceBaseUrl } from "../../shared/http/serviceBaseUrl.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { reportFailures } from "../reportFailures.js";
import { describeServiceError } from "../describeServiceError.js";
import { parseFlags } from "../parseFlags.js";
import { readCliApiKey } from "../readCliApiKey.js";

const flagsSchema = z.object({
  apiKeyFile: z.string().min(1).optional(),
  url: z.string().optional(),
  days: z
    .string()
    .regex(/^\d+$/, "expected a whole number of days")
    .transform(Number)
    .pipe(z.number().int().min(1, "at least 1").max(maxGapsDays, `at most ${maxGapsDays}`))
    .default(defaultGapsDays),
  json: z.boolean().default(false),
});

export const gapsUsage = "usage: aq gaps [--days N] [--url URL] [--json]";
const limit = 10;

/**
 * `aq gaps [--days N] [--url URL] [--json]`: the 10 questions asked most
 * often in the last N days (default 7) whose retrieval was weak, each with
 * a `# Suggested: aq ingest --project P <path-or-url>` line. Prints nothing
 * at all when there are none. Exit 0 on an answer, 1 when the coordinator
 * cannot be reached or fails, 2 for bad arguments.
 */
export const gapsCommand: Command = reportFailures("gaps", (argv, io) => gaps(argv, io));

const gaps: Command = async (argv, io) => {
  const { flags, positionals } = parseFlags(argv, flagsSchema, { booleans: ["json"], allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'; ${gapsUsage}`);
  const client = createCoordinatorClient({ baseUrl: serviceBaseUrl(flags.url, defaultCoordinatorUrl), apiKey: readCliApiKey(flags.apiKeyFile) });
  const r = await client.gaps({ days: flags.days, limit });
  if (flags.json) {
    io.out(JSON.stringify(r));
    return 0;
  }
  const text = formatGaps(r.gaps);
  // No gaps: not even a newline.
  if (text !== "") io.out(text);
  return 0;
};
