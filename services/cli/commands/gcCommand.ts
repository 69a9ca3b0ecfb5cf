import { z } from "zod";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { reportFailures } from "../reportFailures.js";
import { parseFlags } from "../parseFlags.js";
import { createAidbClient, defaultAidbUrl } from "../../aidb/api/createAidbClient.js";
import { serviceBaseUrl } from "../../shared/http/serviceBaseUrl.js";
import { ServiceError } from "../../shared/http/ServiceError.js";
import { readCliApiKey } from "../readCliApiKey.js";

const flagsSchema = z.object({
  apiKeyFile: z.string().min(1).optional(),
  url: z.string().optional(),
  dryRun: z.boolean().default(false),
  json: z.boolean().default(false),
});

/**
 * `aq gc [--dry-run] [--url URL] [--json]`: asks a running aidb to delete
 * documents never accessed, older than its gcAfterDays and without positive
 * feedback; a dry run only lists them.
 */
export const gcCommand: Command = reportFailures("gc", (argv, io) => gc(argv, io), (err) => (err as Error).message);

const gc: Command = async (argv, io) => {
  const { flags, positionals } = parseFlags(argv, flagsSchema, { booleans: ["dryRun", "json"], allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'; usage: aq gc [--dry-run] [--url URL] [--json]`);
  const aidb = createAidbClient({ url: serviceBaseUrl(flags.url, defaultAidbUrl), timeoutMs: 600_000, apiKey: readCliApiKey(flags.apiKeyFile) });
  let r;
  try {
    r = await aidb.gc({ dryRun: flags.dryRun });
  } catch (err) {
    if (!(err instanceof ServiceError) || err.kind !== "http") throw err;
    io.err(`aidb answered ${err.status} ${err.code}: ${String(err.body?.message ?? err.message)}`);
    return 1;
  }
  if (flags.json) {
    io.out(JSON.stringify(r));
    return 0;
  }
  const ids = r.ids;
  for (const id of ids) io.out(id);
  io.out(`${flags.dryRun ? "would delete" : "deleted"} ${ids.length} document${ids.length === 1 ? "" : "s"}`);
  return 0;
};
