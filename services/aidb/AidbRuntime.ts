import type { Logger } from "pino";
import type { StampPublisher } from "./cacheStamps/createStampPublisher.js";
import type { EmbeddingCache } from "./embeddingCache/EmbeddingCache.js";
import type { AidbConfig } from "./aidbConfigSchema.js";
import type { AidbMetrics } from "./createAidbMetrics.js";
import type { Db } from "./db/Db.js";
import type { Embedder } from "./embedder/Embedder.js";
import type { DocumentRepository } from "./repo/createDocumentRepository.js";
import type { SearchRepository } from "./repo/createSearchRepository.js";
import type { WeightsRepository } from "./repo/createWeightsRepository.js";
import type { EvalRunRepository } from "./evalRuns/createEvalRunRepository.js";
import type { DeadLetterRepository } from "./ingest/createDeadLetterRepository.js";
import type { IngestJobRepository } from "./ingest/createIngestJobRepository.js";
import type { IngestJobRunner } from "./ingest/createIngestJobRunner.js";
import type { LearningRepository } from "./learning/createLearningRepository.js";
import type { SourceItemRepository } from "./sources/createSourceItemRepository.js";

/** Everything the routes share: built once by buildApp. */
export interface AidbRuntime {
  config: AidbConfig;
  logger: Logger;
  metrics: AidbMetrics;
  db: Db;
  /** The embedder of documents (ingestion), with the model's document prefix, behind the embedding cache. */
  embedder: Embedder;
  /** The embedder of search queries, with the model's query prefix, behind the same cache. */
  queryEmbedder: Embedder;
  cache: EmbeddingCache;
  /** Bumps the semantic-cache version stamps in Redis (a no-op without redisUrl). */
  stamps: StampPublisher;
  documents: DocumentRepository;
  search: SearchRepository;
  weights: WeightsRepository;
  /** The learning loop: proposals, ratings by bucket, threshold history. */
  learning: LearningRepository;
  evalRuns: EvalRunRepository;
  /** Resumable ingestion: jobs with a persisted position, their worker, and the dead-letter queue. */
  jobs: IngestJobRepository;
  jobRunner: IngestJobRunner;
  deadLetters: DeadLetterRepository;
  /** What each knowledge source's items were synced as. */
  sourceItems: SourceItemRepository;
  schemaVersion: number;
  dimensions: number;
  /** Chunks stored with another embedding model than the current one. */
  staleChunks: number;
  /** `SELECT 1` on the database, timed; keeps postgres_query_ok and postgres_latency_seconds current. */
  probeDb(): Promise<DbProbe>;
}

export interface DbProbe {
  ok: boolean;
  detail?: string;
  latencyMs: number;
}
