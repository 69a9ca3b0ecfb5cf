import { z } from "zod";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { parseFlags } from "../parseFlags.js";
import { aidbBaseUrl, aidbRequest } from "../../aidb/client/aidbClient.js";

const flagsSchema = z.object({
  url: z.string().optional(),
  dryRun: z.boolean().default(false),
  json: z.boolean().default(false),
});

/**
 * `aq gc [--dry-run] [--url URL] [--json]`: asks a running aidb to delete
 * documents never accessed, older than its gcAfterDays and without positive
 * feedback; a dry run only lists them.
 */
export const gcCommand: Command = async (argv, io) => {
  try {
    return await gc(argv, io);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    io.err(`aq gc: ${(err as Error).message}`);
    return 1;
  }
};

const gc: Command = async (argv, io) => {
  const { flags, positionals } = parseFlags(argv, flagsSchema, { booleans: ["dryRun", "json"], allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'; usage: aq gc [--dry-run] [--url URL] [--json]`);
  const base = aidbBaseUrl(flags.url);
  const r = await aidbRequest(base, "/gc", { method: "POST", body: JSON.stringify({ dry_run: flags.dryRun }) });
  if (r.status !== 200) {
    io.err(`aidb answered ${r.status} ${String(r.body.error)}: ${String(r.body.message)}`);
    return 1;
  }
  if (flags.json) {
    io.out(JSON.stringify(r.body));
    return 0;
  }
  const ids = r.body.ids as string[];
  for (const id of ids) io.out(id);
  io.out(`${flags.dryRun ? "would delete" : "deleted"} ${ids.length} document${ids.length === 1 ? "" : "s"}`);
  return 0;
};
