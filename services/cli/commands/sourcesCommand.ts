import { existsSync, readFileSync } from "node:fs";
import { pino } from "pino";
import { z } from "zod";
import { createAidbClient, defaultAidbUrl } from "../../aidb/api/createAidbClient.js";
import { knowledgeSourcesSchema, type KnowledgeSources } from "../../aidb/sources/knowledgeSourcesSchema.js";
import { countChanges, syncSources } from "../../aidb/sources/syncSources.js";
import { formatZodIssues } from "../../shared/formatZodIssues.js";
import { serviceBaseUrl } from "../../shared/http/serviceBaseUrl.js";
import { createLogger } from "../../shared/logging/createLogger.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { reportFailures } from "../reportFailures.js";
import { describeServiceError } from "../describeServiceError.js";
import { parseFlags } from "../parseFlags.js";
import { readCliApiKey } from "../readCliApiKey.js";

export const sourcesUsage = "usage: aq sources list [--json] | sync [--id ID] [--dry-run] [--json] | check   [--registry FILE] [--url AIDB_URL] [--api-key-file FILE]";

/** Where `aq up` (data dir .data) keeps the registry; NixOS passes its rendered file with --registry. */
export const defaultRegistryFile = ".data/knowledge-sources.json";

const flagsSchema = z.object({
  url: z.string().optional(),
  registry: z.string().min(1).optional(),
  id: z.string().min(1).optional(),
  dryRun: z.boolean().default(false),
  json: z.boolean().default(false),
  apiKeyFile: z.string().min(1).optional(),
});

/** Reads and checks the registry; a missing or invalid file is a UsageError (exit 2) naming the key. */
export function readRegistry(file: string): KnowledgeSources {
  if (!existsSync(file)) throw new UsageError(`no knowledge-source registry at ${file} (give --registry FILE; see docs/learning.md)`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  const parsed = knowledgeSourcesSchema.safeParse(value);
  if (!parsed.success) {
    const issue = formatZodIssues(parsed.error)[0]!;
    throw new UsageError(`${file}: invalid "${issue.path}": ${issue.message}`);
  }
  return parsed.data;
}

/**
 * `aq sources list|sync`: the knowledge-source registry and its sync into
 * aidb (incremental; URLs through the SSRF guard). Exit 1 when a source
 * failed or an item was blocked or failed, 0 otherwise. Log lines
 * (`ssrf_blocked`, `source_synced`) go to stderr as JSON.
 */
export const sourcesCommand: Command = reportFailures("sources", (argv, io) => sources(argv, io));

const sources: Command = async (argv, io) => {
  const { flags, positionals } = parseFlags(argv, flagsSchema, { booleans: ["dryRun", "json"], allowPositionals: true });
  const [action, ...rest] = positionals;
  if (!action || rest.length > 0 || !["list", "sync", "check"].includes(action)) throw new UsageError(sourcesUsage);
  const file = flags.registry ?? process.env.AI_STACK_KNOWLEDGE_SOURCES ?? defaultRegistryFile;
  const registry = readRegistry(file);
  // The build-time check of the rendered registry (nix/modules/learning.nix): valid, or exit 2 naming the key.
  if (action === "check") {
    io.out(`${file}: ${registry.sources.length} source${registry.sources.length === 1 ? "" : "s"}, valid`);
    return 0;
  }
  const aidb = createAidbClient({ url: serviceBaseUrl(flags.url, defaultAidbUrl), timeoutMs: 600_000, apiKey: readCliApiKey(flags.apiKeyFile) });

  if (action === "list") {
    const rows = [];
    for (const s of registry.sources) {
      const items = await aidb.sources.items(s.id).catch(() => undefined);
      const last = items?.reduce<string | null>((m, i) => (m === null || i.synced_at > m ? i.synced_at : m), null) ?? null;
      rows.push({ ...s, synced_items: items?.length ?? null, last_synced: last });
    }
    if (flags.json) io.out(JSON.stringify({ allowHosts: registry.allowHosts, sources: rows }));
    else {
      for (const r of rows) {
        const where = r.type === "url" ? r.url : r.path;
        const state = r.synced_items === null ? "aidb unreachable" : `${r.synced_items} items${r.last_synced ? `, last synced ${r.last_synced}` : ""}`;
        io.out(`${r.id.padEnd(20)} ${r.type.padEnd(15)} ${r.enabled ? r.schedule.padEnd(7) : "off    "} ${r.project.padEnd(16)} ${where}  (${state})`);
      }
      if (rows.length === 0) io.out("no sources in the registry");
    }
    return 0;
  }

  const logger = createLogger({ name: "aq-sources", destination: pino.destination({ dest: 2, sync: true }) });
  const reports = await syncSources({ aidb, logger, registry, id: flags.id, dryRun: flags.dryRun });
  if (flags.json) io.out(JSON.stringify({ dry_run: flags.dryRun, sources: reports }));
  else {
    for (const r of reports) {
      for (const i of r.items) if (i.change !== "unchanged") io.out(`${i.change.padEnd(10)} ${r.id}  ${i.key}${i.detail ? ` (${i.detail})` : ""}`);
      const counts = Object.entries(countChanges(r.items))
        .map(([k, v]) => `${v} ${k}`)
        .join(", ");
      const job = r.job ? `; job ${r.job.id}: ${r.job.stored} stored, ${r.job.duplicates} already stored, ${r.job.dead_lettered} dead-lettered` : "";
      io.out(`${flags.dryRun ? "would sync" : "synced"} ${r.id}: ${counts || "nothing"}${job}${r.deleted_documents ? `; ${r.deleted_documents} documents deleted` : ""}${r.error ? `; FAILED: ${r.error}` : ""}`);
    }
    if (reports.length === 0) io.out("no enabled weekly sources to sync");
  }
  const bad = reports.some((r) => r.error || r.items.some((i) => i.change === "blocked" || i.change === "failed" || i.change === "too_large") || (r.job && r.job.dead_lettered > 0));
  return bad ? 1 : 0;
};
