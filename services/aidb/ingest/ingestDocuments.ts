import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { AidbMetrics } from "../createAidbMetrics.js";
import { fingerprintId, type Embedder } from "../embedder/Embedder.js";
import type { DocumentRepository } from "../repo/createDocumentRepository.js";
import { scoreInjection } from "../../shared/text/scoreInjection.js";
import { chunkText } from "./chunkText.js";
import { cleanJson, cleanText } from "./cleanText.js";
import type { DocumentInput, IngestResult } from "../api/documentsContract.js";

export interface IngestDeps {
  repo: DocumentRepository;
  embedder: Embedder;
  logger: Logger;
  metrics: AidbMetrics;
  chunkTokens: number;
  chunkOverlapTokens: number;
  injectionThreshold: number;
}

/**
 * The ingestion pipeline, per document: sanitise, redact secrets, score
 * prompt injection (quarantine above the threshold), chunk in tokens of the
 * embedding model, embed, and store the document with all its chunks in one
 * transaction. Idempotent on (project, sha256 of the cleaned text). A failure
 * fails only its own document; the results say which were stored.
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
        const started = performance.now();
        const stored = await repo.insert(p.row);
        deps.metrics.storeSeconds.observe((performance.now() - started) / 1000);
        Object.assign(p.result, { id: stored.id, status: stored.duplicate ? "duplicate" : "stored", chunks: p.row.chunks.length });
      } catch (err) {
        p.result.error = `storing failed: ${(err as Error).message}`;
        deps.logger.error({ event: "ingest_store_failed", index: p.index, err }, "storing a document failed");
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
    const vectors = await deps.embedder.embed(group.flatMap((p) => p.chunkTexts));
    let k = 0;
    for (const p of group) {
      assign(p, vectors.slice(k, k + p.chunkTexts.length));
      k += p.chunkTexts.length;
    }
    return;
  } catch (err) {
    if (group.length === 1) {
      group[0].result.error = `embedding failed: ${(err as Error).message}`;
      deps.logger.error({ event: "ingest_embed_failed", index: group[0].index, err }, "embedding a document failed");
      return;
    }
  }
  for (const p of group) await embedGroup(deps, [p]);
}

interface Pending {
  index: number;
  result: IngestResult;
  row: Parameters<DocumentRepository["insert"]>[0];
  chunkTexts: string[];
}
