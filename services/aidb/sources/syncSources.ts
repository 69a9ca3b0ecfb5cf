import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join, relative, resolve } from "node:path";
import type { Logger } from "pino";
import type { AidbClient } from "../api/createAidbClient.js";
import type { JobItemInput } from "../api/ingestJobsContract.js";
import type { StoredSourceItem } from "../api/sourcesContract.js";
import { createSsrfGuard, type SsrfGuard } from "../../shared/net/createSsrfGuard.js";
import { guardedFetch } from "../../shared/net/guardedFetch.js";
import { SsrfBlockedError } from "../../shared/net/SsrfBlockedError.js";
import type { KnowledgeSource, KnowledgeSources } from "./knowledgeSourcesSchema.js";

export type ItemChange = "new" | "changed" | "touched" | "unchanged" | "removed" | "blocked" | "failed" | "too_large";

export interface ItemPlan {
  key: string;
  change: ItemChange;
  detail?: string;
}

export interface SourceReport {
  id: string;
  type: KnowledgeSource["type"];
  items: ItemPlan[];
  /** The ingest job that carried the new, changed and touched items. */
  job?: { id: string; stored: number; duplicates: number; failed: number; dead_lettered: number };
  deleted_documents: number;
  error?: string;
}

export interface SyncOptions {
  aidb: AidbClient;
  logger: Logger;
  registry: KnowledgeSources;
  /** One source (also when disabled or manual); default every enabled weekly source. */
  id?: string;
  dryRun?: boolean;
  /** How long to wait for a job to finish. */
  jobTimeoutMs?: number;
  /** Polling of the job. */
  pollMs?: number;
}

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/** Crude text from HTML: scripts and styles dropped, tags removed, entities for the common characters. */
function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, " ")
    .replace(/<br\s*\/?>|<\/(p|div|h[1-6]|li|tr)>/gi, "\n")
    .replace(/<[^>]+>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/[ \t]+/g, " ")
    .replace(/\n\s*\n\s*/g, "\n\n")
    .trim();
}

async function listFiles(root: string, extensions: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith(".")) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && extensions.includes(extname(e.name).toLowerCase())) out.push(full);
    }
  };
  await walk(root);
  return out;
}

interface Planned {
  items: ItemPlan[];
  send: JobItemInput[];
  removed: string[];
}

/** A directory: unchanged when size and mtime match what was synced (the file is not even read); else by content hash. */
async function planDirectory(source: Extract<KnowledgeSource, { type: "local_directory" }>, known: Map<string, StoredSourceItem>, maxBytes: number): Promise<Planned> {
  const root = resolve(source.path);
  const files = await listFiles(root, source.extensions);
  const plan: Planned = { items: [], send: [], removed: [] };
  const present = new Set<string>();
  for (const file of files) {
    const key = relative(root, file).split("\\").join("/");
    present.add(key);
    const info = await stat(file);
    const before = known.get(key);
    if (before && before.mtime_ms === info.mtimeMs && before.size === info.size) {
      plan.items.push({ key, change: "unchanged" });
      continue;
    }
    const bytes = await readFile(file);
    if (bytes.length > maxBytes) {
      plan.items.push({ key, change: "too_large", detail: `${bytes.length} bytes; aidb takes at most ${maxBytes}` });
      continue;
    }
    const hash = sha256(bytes);
    const text = bytes.toString("utf8");
    if (text.trim() === "") {
      plan.items.push({ key, change: "failed", detail: "empty" });
      continue;
    }
    const change: ItemChange = !before ? "new" : before.content_hash === hash ? "touched" : "changed";
    plan.items.push({ key, change });
    plan.send.push({
      document: { project: source.project, text, title: key, source: `${source.id}:${key}`, source_trust: source.source_trust, metadata: { knowledge_source: source.id } },
      source_item: { source_id: source.id, key, content_hash: hash, mtime_ms: info.mtimeMs, size: info.size },
    });
  }
  for (const key of known.keys()) {
    if (!present.has(key)) {
      plan.items.push({ key, change: "removed" });
      plan.removed.push(key);
    }
  }
  return plan;
}

/** A URL: a conditional GET (If-None-Match, If-Modified-Since) through the SSRF guard; 304 or the same hash is unchanged. */
async function planUrl(source: Extract<KnowledgeSource, { type: "url" }>, known: Map<string, StoredSourceItem>, guard: SsrfGuard, maxFetchBytes: number, maxBytes: number): Promise<Planned> {
  const key = source.url;
  const before = known.get(key);
  const plan: Planned = { items: [], send: [], removed: [] };
  const headers: Record<string, string> = {};
  if (before?.etag) headers["if-none-match"] = before.etag;
  if (before?.last_modified) headers["if-modified-since"] = before.last_modified;
  let response;
  try {
    response = await guardedFetch(source.url, { guard, headers, maxBytes: maxFetchBytes, context: { source_id: source.id } });
  } catch (err) {
    if (err instanceof SsrfBlockedError) plan.items.push({ key, change: "blocked", detail: err.reason + (err.address ? ` ${err.address}` : "") });
    else plan.items.push({ key, change: "failed", detail: (err as Error).message });
    return plan;
  }
  if (response.status === 304 && before) {
    plan.items.push({ key, change: "unchanged", detail: "304 not modified" });
    return plan;
  }
  if (response.status !== 200) {
    plan.items.push({ key, change: "failed", detail: `HTTP ${response.status}` });
    return plan;
  }
  const type = String(response.headers["content-type"] ?? "text/plain").toLowerCase();
  if (!/^(text\/|application\/(json|xml|markdown))/.test(type)) {
    plan.items.push({ key, change: "failed", detail: `content-type ${type} is not text` });
    return plan;
  }
  const raw = response.body.toString("utf8");
  const text = type.startsWith("text/html") ? htmlToText(raw) : raw;
  if (Buffer.byteLength(text) > maxBytes) {
    plan.items.push({ key, change: "too_large", detail: `${Buffer.byteLength(text)} bytes; aidb takes at most ${maxBytes}` });
    return plan;
  }
  if (text.trim() === "") {
    plan.items.push({ key, change: "failed", detail: "empty" });
    return plan;
  }
  const hash = sha256(response.body);
  const change: ItemChange = !before ? "new" : before.content_hash === hash ? "touched" : "changed";
  plan.items.push({ key, change, ...(response.url !== source.url && { detail: `redirected to ${response.url}` }) });
  const header = (name: string) => {
    const v = response.headers[name];
    return typeof v === "string" ? v : null;
  };
  plan.send.push({
    document: { project: source.project, text, title: source.title ?? source.url, source: source.url, source_trust: source.source_trust, metadata: { knowledge_source: source.id } },
    source_item: { source_id: source.id, key, content_hash: hash, mtime_ms: null, size: response.body.length, etag: header("etag"), last_modified: header("last-modified") },
  });
  return plan;
}

/** The sources a sync covers: the one asked for (whatever its schedule), or every enabled weekly one. */
export function selectSources(registry: KnowledgeSources, id?: string): KnowledgeSource[] {
  if (id !== undefined) {
    const one = registry.sources.find((s) => s.id === id);
    if (!one) throw new Error(`no source "${id}" in the registry (known: ${registry.sources.map((s) => s.id).join(", ") || "none"})`);
    return [one];
  }
  return registry.sources.filter((s) => s.enabled && s.schedule === "weekly");
}

/**
 * Syncs knowledge sources into aidb, incrementally: what aidb recorded of
 * each item (GET /sources/:id/items) decides what is sent. New, changed and
 * touched items go to aidb as one ingest job per source (retried, resumable,
 * dead-lettered; aidb records each item as it is stored, so an interrupted
 * sync resumes where it stopped); items gone from the source are deleted
 * with their documents. A dry run only plans. URL fetches go through the
 * SSRF guard.
 */
export async function syncSources(o: SyncOptions): Promise<SourceReport[]> {
  const guard = createSsrfGuard({ allowHosts: o.registry.allowHosts, allowPrivateAddresses: o.registry.allowPrivateAddresses }, o.logger);
  const { limits } = await o.aidb.status();
  const reports: SourceReport[] = [];
  for (const source of selectSources(o.registry, o.id)) {
    const report: SourceReport = { id: source.id, type: source.type, items: [], deleted_documents: 0 };
    reports.push(report);
    try {
      const known = new Map((await o.aidb.sources.items(source.id)).map((i) => [i.key, i]));
      const plan =
        source.type === "local_directory"
          ? await planDirectory(source, known, limits.max_document_bytes)
          : await planUrl(source, known, guard, o.registry.maxFetchBytes, limits.max_document_bytes);
      report.items = plan.items;
      if (o.dryRun) continue;
      if (plan.send.length > 0) {
        const job = await o.aidb.jobs.create(`source:${source.id}`, plan.send);
        const deadline = Date.now() + (o.jobTimeoutMs ?? 3_600_000);
        for (;;) {
          const j = await o.aidb.jobs.get(job.id);
          if (j?.status === "done") {
            report.job = { id: j.id, stored: j.stored, duplicates: j.duplicates, failed: j.failed, dead_lettered: j.dead_lettered };
            break;
          }
          if (Date.now() > deadline) throw new Error(`ingest job ${job.id} not done within ${o.jobTimeoutMs ?? 3_600_000} ms (it goes on in aidb: aq sources sync again later)`);
          await new Promise((r) => setTimeout(r, o.pollMs ?? 200));
        }
      }
      if (plan.removed.length > 0) report.deleted_documents = (await o.aidb.sources.deleteItems(source.id, plan.removed)).deleted_documents;
      o.logger.info(
        { event: "source_synced", source_id: source.id, counts: countChanges(plan.items), job_id: report.job?.id, deleted_documents: report.deleted_documents },
        `source ${source.id} synced`,
      );
    } catch (err) {
      report.error = (err as Error).message;
      o.logger.error({ event: "source_sync_failed", source_id: source.id, err }, `source ${source.id} failed: ${report.error}`);
    }
  }
  return reports;
}

export function countChanges(items: ItemPlan[]): Partial<Record<ItemChange, number>> {
  const out: Partial<Record<ItemChange, number>> = {};
  for (const i of items) out[i.change] = (out[i.change] ?? 0) + 1;
  return out;
}
