import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { AidbMetrics } from "../createAidbMetrics.js";
import { fingerprintId, type Embedder } from "../embedder/Embedder.js";
import type { DocumentRepository } from "../repo/createDocumentRepository.js";
import { scoreInjection } from "../../shared/text/scoreInjection.js";
import { chunkText } from "./chunkText.js";
import { cleanJson, cleanText } from "./cleanText.js";
import type { DocumentInput, IngestResult } from "../api/documentsContract.js";
import { RetriesExhaustedError, withRetry } from "../../shared/retry/withRetry.js";
import type { RetryPolicy } from "../../shared/retry/retryPolicy.js";

/** A document that failed: its cleaned form (what a dead letter keeps), where and after how many tries. */
export interface IngestFailure {
  index: number;
  /** The document as cleaned (sanitised, secrets redacted): never the raw input. */
  document: DocumentInput;
  stage: "embed" | "store" | "ingest";
  attempts: number;
  /** The dependency was unavailable (unreachable, timeout, 5xx, connection lost), not the document refused. */
  transient: boolean;
  error: string;
}

export interface IngestDeps {
  repo: DocumentRepository;
  embedder: Embedder;
  logger: Logger;
  metrics: AidbMetrics;
  chunkTokens: number;
  chunkOverlapTokens: number;
  injectionThreshold: number;
  /** Retries of embedding and storing; without it each is tried once. */
  retry?: RetryPolicy;
  /** Ends the waits between retries early (shutdown). */
  signal?: AbortSignal;
  /** Told of every document that failed to embed or store, after its retries. */
  onFailed?: (failure: IngestFailure) => void;
}

const once: RetryPolicy = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 };

/**
 * The ingestion pipeline, per document: sanitise, redact secrets, score
 * prompt injection (quarantine above the threshold), chunk in tokens of the
 * embedding model, embed, and store the document with all its chunks in one
 * transaction. Idempotent on (project, sha256 of the cleaned text). A failure
 * fails only its own document; the results say which were stored.
 * Embedding and storing are retried with backoff and jitter (`deps.retry`);
 * a document still failing is reported to `deps.onFailed` with its cleaned
 * form, for the dead-letter queue.
 */
export async function ingestDocuments(deps: IngestDeps, docs: DocumentInput[]): Promise<IngestResult[]> {
  const { repo, embedder } = deps;
  const chunkTokens = Math.max(8, Math.min(deps.chunkTokens, embedder.maxInputTokens - 8));
  const fingerprint = fingerprintId(embedder.fingerprint);

  const results: IngestResult[] = [];
  const pending: Pending[] = [];
  const seen = new Map<string, Pending>();

  for (const [index, doc] of docs.entries()) {
    const body = cleanText(doc.text);
    const counts = { removed: body.removed, redactions: body.redactions };
    const title = doc.title === undefined ? null : (cleanJson(doc.title, counts) as string);
    const source = doc.source === undefined ? null : (cleanJson(doc.source, counts) as string);
    const metadata = cleanJson(doc.metadata, counts) as Record<string, unknown>;
    const injection = scoreInjection([title ?? "", body.text].join("\n"));
    const quarantined = injection.score > deps.injectionThreshold;
    const result: IngestResult = {
      index,
      id: null,
      status: "failed",
      sanitized_chars: counts.removed,
      redactions: counts.redactions,
      redactions_by_kind: body.byKind,
      injection_score: Math.round(injection.score * 1000) / 1000,
      injection_signals: injection.signals,
      quarantined,
      chunks: 0,
    };
    results.push(result);
    deps.metrics.redactions.inc(counts.redactions);
    if (quarantined) deps.metrics.quarantined.inc();

    const contentHash = createHash("sha256").update(body.text).digest("hex");
    const key = `${doc.project}\0${contentHash}`;
    const twin = seen.get(key);
    if (twin) {
      // The same content twice in one batch: one document, the second a duplicate of it.
      result.status = "duplicate";
      pending.push({ ...twin, index, result, chunkTexts: [] });
      continue;
    }
    const existing = await repo.findIdByHash(doc.project, contentHash);
    if (existing) {
      Object.assign(result, { id: existing, status: "duplicate" });
      continue;
    }
    const chunkTexts = chunkText(body.text, { chunkTokens, overlapTokens: deps.chunkOverlapTokens, countTokens: (t) => embedder.countTokens(t) });
    if (chunkTexts.length === 0) {
      result.error = "the document is empty after cleaning";
      continue;
    }
    const entry: Pending = {
      index,
      result,
      chunkTexts,
      cleaned: {
        project: doc.project,
        text: body.text,
        ...(title !== null && { title }),
        ...(source !== null && { source }),
        source_trust: doc.source_trust,
        metadata,
      },
      row: {
        project: doc.project,
        title,
        source,
        sourceTrust: doc.source_trust,
        contentHash,
        metadata,
        quarantine: quarantined,
        injectionScore: injection.score,
        redactions: counts.redactions,
        chunks: [],
        modelFingerprint: fingerprint,
      },
    };
    seen.set(key, entry);
    pending.push(entry);
  }

  // Embed in groups of documents (the embedder batches requests further);
  // a failing group is retried document by document so one bad document
  // fails alone.
  const firsts = pending.filter((p) => p.chunkTexts.length > 0);
  const groupChunks = 256;
  for (let i = 0; i < firsts.length; ) {
    const group: Pending[] = [];
    let n = 0;
    while (i < firsts.length && (group.length === 0 || n + firsts[i].chunkTexts.length <= groupChunks)) {
      n += firsts[i].chunkTexts.length;
      group.push(firsts[i++]);
    }
    await embedGroup(deps, group);
    for (const p of group) {
      if (p.result.error) continue;
      try {
        const stored = await withRetry(
          async () => {
            const started = performance.now();
            const r = await repo.insert(p.row);
            deps.metrics.storeSeconds.observe((performance.now() - started) / 1000);
            return r;
          },
          { policy: deps.retry ?? once, signal: deps.signal, onRetry: (info) => retried(deps, "store", info, [p.index]) },
        );
        Object.assign(p.result, { id: stored.id, status: stored.duplicate ? "duplicate" : "stored", chunks: p.row.chunks.length });
      } catch (err) {
        const e = err as RetriesExhaustedError;
        p.result.error = `storing failed: ${e.message}`;
        deps.logger.error({ event: "ingest_store_failed", index: p.index, attempts: e.attempts, err: e.lastError }, "storing a document failed");
        failed(deps, p, "store", e);
      }
    }
  }
  for (const p of pending) {
    if (p.chunkTexts.length > 0) continue;
    const first = seen.get(`${p.row.project}\0${p.row.contentHash}`)!;
    Object.assign(p.result, { id: first.result.id, status: first.result.id ? "duplicate" : "failed", chunks: first.result.chunks });
    if (!first.result.id) p.result.error = first.result.error;
  }
  for (const r of results) {
    deps.metrics.documents.inc({ status: r.status });
    if (r.status === "stored") deps.metrics.chunks.inc(r.chunks);
    if (r.status === "failed") r.id = null;
  }
  return results;
}

async function embedGroup(deps: IngestDeps, group: Pending[]): Promise<void> {
  const assign = (p: Pending, vectors: number[][]) => {
    p.row.chunks = p.chunkTexts.map((text, k) => ({ text, embedding: vectors[k] }));
  };
  try {
    const vectors = await withRetry(() => deps.embedder.embed(group.flatMap((p) => p.chunkTexts)), {
      policy: deps.retry ?? once,
      signal: deps.signal,
      onRetry: (info) => retried(deps, "embed", info, group.map((p) => p.index)),
    });
    let k = 0;
    for (const p of group) {
      assign(p, vectors.slice(k, k + p.chunkTexts.length));
      k += p.chunkTexts.length;
    }
    return;
  } catch (err) {
    const e = err as RetriesExhaustedError;
    // One document alone, or the embedder itself unavailable (splitting the
    // group would only try every document again against a service that is down).
    if (group.length === 1 || e.transient) {
      for (const p of group) {
        p.result.error = `embedding failed: ${e.message}`;
        deps.logger.error({ event: "ingest_embed_failed", index: p.index, attempts: e.attempts, transient: e.transient, err: e.lastError }, "embedding a document failed");
        failed(deps, p, "embed", e);
      }
      return;
    }
  }
  for (const p of group) await embedGroup(deps, [p]);
}

function retried(deps: IngestDeps, stage: "embed" | "store", info: { retry: number; delayMs: number; error: unknown }, indexes: number[]): void {
  deps.metrics.retries.inc({ stage });
  deps.logger.warn(
    { event: "ingest_retry", stage, retry: info.retry, delay_ms: info.delayMs, documents: indexes.length, error: (info.error as Error)?.message },
    `${stage} failed; retrying in ${info.delayMs} ms`,
  );
}

function failed(deps: IngestDeps, p: Pending, stage: "embed" | "store", e: RetriesExhaustedError): void {
  deps.onFailed?.({ index: p.index, document: p.cleaned, stage, attempts: e.attempts, transient: e.transient, error: e.message });
}

interface Pending {
  index: number;
  result: IngestResult;
  row: Parameters<DocumentRepository["insert"]>[0];
  chunkTexts: string[];
  cleaned: DocumentInput;
}
