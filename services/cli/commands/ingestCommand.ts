import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join, relative, resolve } from "node:path";
import { z } from "zod";
import { sourceTrustValues } from "../../aidb/api/documentsContract.js";
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
  project: z.string().trim().min(1, "must not be empty").max(200).default("default"),
  sourceTrust: z.enum(sourceTrustValues).default("imported"),
  title: z.string().max(1000).optional(),
  batchSize: z.coerce.number().int().min(1).max(1000).default(100),
});

const extensions = new Set([".md", ".markdown", ".txt"]);

interface Doc {
  label: string;
  text: string;
  title: string;
  source: string;
}

/**
 * `aq ingest PATH|- [--project P] [--url URL] [--source-trust T] [--title T]`:
 * posts a file, every .md/.txt file under a directory, or stdin to a running
 * aidb, in batches. Exit 0 when every document is stored (or already was),
 * 1 when some failed or were too large, 2 for bad arguments.
 */
export const ingestCommand: Command = reportFailures("ingest", (argv, io) => ingest(argv, io), (err) => (err as Error).message);

const ingest: Command = async (argv, io) => {
  const { flags, positionals } = parseFlags(argv, flagsSchema, { allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError("usage: aq ingest PATH|- [--project P] [--url URL] [--source-trust trusted|imported|generated] [--title T]");
  // One batch embeds up to its size in documents: give it time.
  const aidb = createAidbClient({ url: serviceBaseUrl(flags.url, defaultAidbUrl), timeoutMs: 600_000, apiKey: readCliApiKey(flags.apiKeyFile) });
  const docs = await readDocs(positionals[0], flags.title);
  if (docs.length === 0) throw new UsageError(`no .md or .txt files under ${positionals[0]}`);

  // The limits are aidb's configuration: read, never restated.
  const { limits } = await aidb.status();
  const maxBytes = limits.max_document_bytes;
  const batchSize = Math.min(flags.batchSize, limits.max_batch_documents);

  let failed = 0;
  let stored = 0;
  let duplicates = 0;
  const sendable: Doc[] = [];
  for (const d of docs) {
    const bytes = Buffer.byteLength(d.text, "utf8");
    if (bytes > maxBytes) {
      io.err(`too large  ${d.label}: ${bytes} bytes, the limit is ${maxBytes}`);
      failed++;
    } else if (d.text.trim() === "") {
      io.err(`empty      ${d.label}`);
      failed++;
    } else sendable.push(d);
  }
  for (let i = 0; i < sendable.length; i += batchSize) {
    const batch = sendable.slice(i, i + batchSize);
    let results;
    try {
      ({ results } = await aidb.ingest(batch.map((d) => ({ project: flags.project, text: d.text, title: d.title, source: d.source, source_trust: flags.sourceTrust }))));
    } catch (err) {
      if (!(err instanceof ServiceError) || err.kind !== "http") throw err;
      io.err(`aidb refused a batch (${err.status} ${err.code}): ${String(err.body?.message ?? err.message)}`);
      failed += batch.length;
      continue;
    }
    for (const res of results) {
      const d = batch[res.index];
      const notes = [res.redactions ? `${res.redactions} redacted` : "", res.quarantined ? "quarantined" : "", res.error ?? ""].filter(Boolean).join(", ");
      io.out(`${res.status.padEnd(10)} ${res.id ?? "-"} ${d.label}${notes ? ` (${notes})` : ""}`);
      if (res.status === "stored") stored++;
      else if (res.status === "duplicate") duplicates++;
      else failed++;
    }
  }
  io.out(`${stored} stored, ${duplicates} duplicates, ${failed} failed`);
  return failed > 0 ? 1 : 0;
};

async function readDocs(path: string, title: string | undefined): Promise<Doc[]> {
  if (path === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    return [{ label: "stdin", text, title: title ?? "stdin", source: "stdin" }];
  }
  const root = resolve(path);
  let info;
  try {
    info = await stat(root);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (info.isFile()) return [{ label: path, text: await readFile(root, "utf8"), title: title ?? relative(process.cwd(), root), source: path }];
  if (!info.isDirectory()) throw new UsageError(`${path} is neither a file nor a directory`);
  const files: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith(".")) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && extensions.has(extname(entry.name).toLowerCase())) files.push(full);
    }
  };
  await walk(root);
  return Promise.all(
    files.map(async (f) => {
      const rel = relative(root, f);
      return { label: rel, text: await readFile(f, "utf8"), title: rel, source: rel };
    }),
  );
}
