import type { Logger } from "pino";
import { readInternalKey } from "../shared/access/createKeyStore.js";
import { buildKernel, type KernelApp } from "../shared/http/buildKernel.js";
import { createMetrics } from "../shared/metrics/createMetrics.js";
import type { AidbConfig } from "./aidbConfigSchema.js";
import { aidbAccess } from "./api/aidbAccess.js";
import type { AidbRuntime, DbProbe } from "./AidbRuntime.js";
import { createStampPublisher, type StampPublisher } from "./cacheStamps/createStampPublisher.js";
import { createAidbMetrics } from "./createAidbMetrics.js";
import type { Db } from "./db/Db.js";
import { migrate } from "./db/migrate.js";
import { openDb, sessionStatements } from "./db/openDb.js";
import { createHttpEmbedder } from "./embedder/createHttpEmbedder.js";
import { createLocalEmbedder } from "./embedder/createLocalEmbedder.js";
import { fingerprintId, type Embedder } from "./embedder/Embedder.js";
import { withEmbeddingCache } from "./embedder/withEmbeddingCache.js";
import { withPrefix } from "./embedder/withPrefix.js";
import { createEmbeddingCache } from "./embeddingCache/createEmbeddingCache.js";
import { createDocumentRepository } from "./repo/createDocumentRepository.js";
import { createSearchRepository } from "./repo/createSearchRepository.js";
import { createWeightsRepository } from "./repo/createWeightsRepository.js";
import { documentsRoute } from "./routes/documentsRoute.js";
import { fusionWeightsRoute } from "./routes/fusionWeightsRoute.js";
import { gcRoute } from "./routes/gcRoute.js";
import { interactionsRoute } from "./routes/interactionsRoute.js";
import { searchRoute } from "./routes/searchRoute.js";
import { statusRoute } from "./routes/statusRoute.js";
import { createEvalRunRepository } from "./evalRuns/createEvalRunRepository.js";
import { createDeadLetterRepository } from "./ingest/createDeadLetterRepository.js";
import { createIngestJobRepository } from "./ingest/createIngestJobRepository.js";
import { createIngestJobRunner, type IngestJobRunner } from "./ingest/createIngestJobRunner.js";
import { createLearningRepository } from "./learning/createLearningRepository.js";
import { createSourceItemRepository } from "./sources/createSourceItemRepository.js";
import { dlqRoute } from "./routes/dlqRoute.js";
import { evalRunsRoute } from "./routes/evalRunsRoute.js";
import { ingestJobsRoute } from "./routes/ingestJobsRoute.js";
import { learningRoute } from "./routes/learningRoute.js";
import { sourcesRoute } from "./routes/sourcesRoute.js";

export interface AidbAppOptions {
  config: AidbConfig;
  logger: Logger;
  /** An open database (tests); otherwise one is opened from the config and closed with the app. */
  db?: Db;
  /** An embedder (tests share one); otherwise one is made from the config and closed with the app. */
  embedder?: Embedder;
}

export interface AidbApp {
  app: KernelApp;
  runtime: AidbRuntime;
}

/** Creates the configured embedder: HTTP to the inference service, or node-llama-cpp in-process. */
export async function createEmbedder(config: AidbConfig): Promise<Embedder> {
  if (config.embedModel) {
    return createLocalEmbedder({ modelPath: config.embedModel, sha256: config.embedModelSha256, threads: config.threads });
  }
  return createHttpEmbedder({
    url: config.embeddingsUrl!,
    batchSize: config.embedBatchSize,
    startupTimeoutMs: config.embedStartupTimeoutMs,
    apiKey: config.internalKeyFile ? readInternalKey(config.internalKeyFile) : undefined,
  });
}

/**
 * Builds aidb: opens the store and the embedder, migrates the schema (the
 * embedding size is fixed by the first embedder), wraps the embedder with
 * the embedding cache and registers the routes. Throws UsageError (exit 2)
 * for a store built with another embedding size.
 */
export async function buildApp(opts: AidbAppOptions): Promise<AidbApp> {
  const { config, logger } = opts;
  const kernelMetrics = createMetrics("aidb");
  const inner = opts.embedder ?? (await createEmbedder(config));
  let db: Db | undefined;
  let stamps: StampPublisher | undefined;
  let jobRunner: IngestJobRunner | undefined;
  try {
    db = opts.db ?? (await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize, efSearch: config.efSearch }));
    const migrated = await migrate(db, { dimensions: inner.fingerprint.dimensions });
    if (migrated.applied.length) logger.info({ event: "migrated", applied: migrated.applied, version: migrated.version }, "schema migrated");
    for (const s of sessionStatements(config.efSearch)) await db.query(s);

    // Documents are embedded with the model's document prefix, which is part of the stored fingerprint.
    const fingerprint = fingerprintId(withPrefix(inner, config.embedDocumentPrefix, "document").fingerprint);
    const stale = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM chunks WHERE model_fingerprint <> $1", [fingerprint]);
    const staleChunks = stale.rows[0].n;
    if (staleChunks > 0) {
      logger.warn(
        { event: "embedding_model_changed", stale_chunks: staleChunks, fingerprint },
        "chunks embedded with another model of the same size are in the store; their vector scores are not comparable until re-ingested",
      );
    }

    const cache = await createEmbeddingCache({
      redisUrl: config.redisUrl,
      fingerprint: inner.fingerprint,
      epoch: config.cacheEpoch,
      maxEntries: config.cacheMaxEntries,
      logger,
      registry: kernelMetrics.registry,
    });
    stamps = await createStampPublisher({ redisUrl: config.redisUrl, logger });
    const metrics = createAidbMetrics(kernelMetrics.registry);
    const opened = db;
    const probeDb = async (): Promise<DbProbe> => {
      const started = performance.now();
      try {
        await opened.query("SELECT 1");
        metrics.postgresQueryOk.set(1);
        return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
      } catch (err) {
        metrics.postgresQueryOk.set(0);
        return { ok: false, detail: (err as Error).message, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
      } finally {
        metrics.postgresLatency.set((performance.now() - started) / 1000);
      }
    };
    // Documents and queries each with the embedding model's prefix (nomic-embed-text:
    // search_document: / search_query:); the cache keys on the prefixed text.
    const cached = withEmbeddingCache(inner, cache);
    const embedder = withPrefix(cached, config.embedDocumentPrefix, "document");
    const documents = createDocumentRepository(db);
    const jobs = createIngestJobRepository(db);
    const deadLetters = createDeadLetterRepository(db);
    const sourceItems = createSourceItemRepository(db);
    // Ingest jobs left unfinished by an earlier run resume here (from their persisted position).
    jobRunner = createIngestJobRunner({ config, logger, metrics, documents, embedder, stamps, sourceItems, jobs, deadLetters });
    const runtime: AidbRuntime = {
      config,
      logger,
      metrics,
      db,
      embedder,
      queryEmbedder: withPrefix(cached, config.embedQueryPrefix, "query"),
      cache,
      stamps,
      documents,
      search: createSearchRepository(db),
      weights: createWeightsRepository(db),
      learning: createLearningRepository(db),
      evalRuns: createEvalRunRepository(db),
      jobs,
      jobRunner,
      deadLetters,
      sourceItems,
      schemaVersion: migrated.version,
      dimensions: migrated.dimensions,
      staleChunks,
      probeDb,
    };
    await probeDb();

    const app = buildKernel({
      service: "aidb",
      logger,
      metrics: kernelMetrics,
      bodyLimit: config.bodyLimitBytes,
      access: { table: aidbAccess, settings: config, redisUrl: config.redisUrl },
      readiness: async () => {
        const [probe, embedder] = await Promise.all([probeDb(), inner.check()]);
        const database = { ok: probe.ok, detail: probe.detail };
        const c = cache.status();
        return {
          database,
          embedder,
          embedding_cache: { ok: c.ok, degraded: c.degraded, detail: c.detail ?? c.backend },
        };
      },
    });
    app.addHook("onRequest", async (request) => {
      if (request.url !== "/metrics") return;
      await probeDb();
      try {
        metrics.deadLetterDepth.set(await deadLetters.depth());
        metrics.jobsPending.set(await jobs.pending());
      } catch {
        // the database is down: postgres_query_ok says so
      }
    });
    await app.register(statusRoute, { runtime });
    await app.register(documentsRoute, { runtime });
    await app.register(searchRoute, { runtime });
    await app.register(fusionWeightsRoute, { runtime });
    await app.register(gcRoute, { runtime });
    await app.register(interactionsRoute, { runtime });
    await app.register(ingestJobsRoute, { runtime });
    await app.register(dlqRoute, { runtime });
    await app.register(sourcesRoute, { runtime });
    await app.register(learningRoute, { runtime });
    await app.register(evalRunsRoute, { runtime });

    const ownedDb = opts.db ? undefined : db;
    const runner = jobRunner;
    app.addHook("onClose", async () => {
      await runner.stop();
      await cache.close();
      await stamps!.close();
      if (!opts.embedder) await inner.close();
      await ownedDb?.close();
    });
    return { app, runtime };
  } catch (err) {
    await jobRunner?.stop().catch(() => {});
    await stamps?.close().catch(() => {});
    if (!opts.db) await db?.close().catch(() => {});
    if (!opts.embedder) await inner.close().catch(() => {});
    throw err;
  }
}
