import type { Logger } from "pino";
import type { IngestResult } from "../api/documentsContract.js";
import type { JobItem } from "../api/ingestJobsContract.js";
import type { AidbConfig } from "../aidbConfigSchema.js";
import type { StampPublisher } from "../cacheStamps/createStampPublisher.js";
import type { AidbMetrics } from "../createAidbMetrics.js";
import type { Embedder } from "../embedder/Embedder.js";
import type { DocumentRepository } from "../repo/createDocumentRepository.js";
import type { SourceItemRepository } from "../sources/createSourceItemRepository.js";
import type { RetryPolicy } from "../../shared/retry/retryPolicy.js";
import { ingestDocuments, type IngestFailure } from "./ingestDocuments.js";

/** What ingesting needs, beyond the documents. */
export interface IngestContext {
  config: AidbConfig;
  logger: Logger;
  metrics: AidbMetrics;
  documents: DocumentRepository;
  embedder: Embedder;
  stamps: StampPublisher;
  sourceItems: SourceItemRepository;
}

/** The retry policy of embedding and storing, from aidb's settings. */
export function ingestRetryPolicy(config: AidbConfig): RetryPolicy {
  return { attempts: config.ingestRetryAttempts, baseDelayMs: config.ingestRetryBaseMs, maxDelayMs: config.ingestRetryMaxMs };
}

/**
 * Ingests items (documents with where they came from) with retries: stored
 * and duplicate documents of a knowledge source are recorded as synced
 * (replacing the document of an item that changed), the cache stamps of
 * the projects that changed are bumped, and the failures come back for the
 * caller to dead-letter or wait on.
 */
export async function ingestItems(ctx: IngestContext, items: JobItem[], signal?: AbortSignal): Promise<{ results: IngestResult[]; failures: IngestFailure[] }> {
  const failures: IngestFailure[] = [];
  const results = await ingestDocuments(
    {
      repo: ctx.documents,
      embedder: ctx.embedder,
      logger: ctx.logger,
      metrics: ctx.metrics,
      chunkTokens: ctx.config.chunkTokens,
      chunkOverlapTokens: ctx.config.chunkOverlapTokens,
      injectionThreshold: ctx.config.injectionThreshold,
      retry: ingestRetryPolicy(ctx.config),
      signal,
      onFailed: (f) => failures.push(f),
    },
    items.map((i) => i.document),
  );
  const changed = new Set<string>();
  for (const r of results) {
    const item = items[r.index]!;
    if (r.status === "stored") changed.add(item.document.project);
    if (r.status === "failed" || !r.id || !item.source_item) continue;
    const { replacedProject } = await ctx.sourceItems.record(item.source_item, r.id);
    if (replacedProject) changed.add(replacedProject);
  }
  await ctx.stamps.bumpProjects([...changed]);
  return { results, failures };
}
