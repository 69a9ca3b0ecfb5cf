import { z } from "zod";
import { createAidbClient, defaultAidbUrl } from "../../aidb/api/createAidbClient.js";
import { serviceBaseUrl } from "../../shared/http/serviceBaseUrl.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { reportFailures } from "../reportFailures.js";
import { describeServiceError } from "../describeServiceError.js";
import { parseFlags } from "../parseFlags.js";
import { readCliApiKey } from "../readCliApiKey.js";

export const dlqUsage = "usage: aq dlq list [--limit N] [--json] | retry [--id N[,N...]] | drop --id N[,N...] | --all   [--url AIDB_URL] [--api-key-file FILE]";

const ids = z
  .string()
  .regex(/^\d+(,\d+)*$/, "expected dead-letter ids: N or N,N,...")
  .transform((s) => s.split(",").map(Number));

const flagsSchema = z.object({
  url: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  id: ids.optional(),
  all: z.boolean().default(false),
  json: z.boolean().default(false),
  apiKeyFile: z.string().min(1).optional(),
});

const cut = (s: string | null, n: number) => (s === null ? "-" : s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * `aq dlq list|retry|drop`: the documents aidb dead-lettered after their
 * retries. `retry` ingests them again (all, or --id): each stored one leaves
 * the queue; exit 1 when some still fail. `drop` deletes them (--id or --all).
 */
export const dlqCommand: Command = reportFailures("dlq", (argv, io) => dlq(argv, io));

const dlq: Command = async (argv, io) => {
  const { flags, positionals } = parseFlags(argv, flagsSchema, { booleans: ["all", "json"], allowPositionals: true });
  const [action, ...rest] = positionals;
  if (!action || rest.length > 0 || !["list", "retry", "drop"].includes(action)) throw new UsageError(dlqUsage);
  const aidb = createAidbClient({ url: serviceBaseUrl(flags.url, defaultAidbUrl), timeoutMs: 600_000, apiKey: readCliApiKey(flags.apiKeyFile) });

  if (action === "list") {
    const r = await aidb.dlq.list({ limit: flags.limit });
    if (flags.json) {
      io.out(JSON.stringify(r));
      return 0;
    }
    for (const d of r.items) {
      io.out(`${String(d.id).padStart(6)}  ${d.stage.padEnd(6)} ${String(d.attempts).padStart(3)} tries  ${d.project}  ${cut(d.title ?? d.source, 60)}  ${cut(d.error, 120)}`);
    }
    io.out(`${r.total} dead letter${r.total === 1 ? "" : "s"}${r.total > r.items.length ? ` (${r.items.length} shown)` : ""}`);
    return 0;
  }

  if (action === "retry") {
    if (flags.all && flags.id) throw new UsageError("give --id or --all, not both");
    const r = await aidb.dlq.retry({ ids: flags.id });
    if (flags.json) io.out(JSON.stringify(r));
    else {
      for (const x of r.results) io.out(`${x.status.padEnd(10)} ${String(x.id).padStart(6)} ${x.document_id ?? "-"}${x.error ? ` (${x.error})` : ""}`);
      io.out(`${r.retried} retried: ${r.stored} stored, ${r.duplicates} already stored, ${r.failed} still failing`);
    }
    return r.failed > 0 ? 1 : 0;
  }

  if (!flags.id && !flags.all) throw new UsageError("aq dlq drop needs --id N[,N...] or --all");
  if (flags.id && flags.all) throw new UsageError("give --id or --all, not both");
  const dropped = await aidb.dlq.drop(flags.all ? { all: true } : { ids: flags.id! });
  io.out(`dropped ${dropped} dead letter${dropped === 1 ? "" : "s"}`);
  return 0;
};
