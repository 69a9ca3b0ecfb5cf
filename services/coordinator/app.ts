import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import expansionJson from "../../lib/query-expansion.json" with { type: "json" };
import { createAidbClient } from "../aidb/api/createAidbClient.js";
import { readInternalKey } from "../shared/access/createKeyStore.js";
import { coordinatorAccess } from "./api/coordinatorAccess.js";
import { buildKernel, type KernelApp } from "../shared/http/buildKernel.js";
import { UsageError } from "../shared/UsageError.js";
import { createMetrics } from "../shared/metrics/createMetrics.js";
import { createSemanticCache } from "./cache/createSemanticCache.js";
import { createChatBackend } from "./clients/createChatBackend.js";
import { createQueryEmbedder } from "./clients/createQueryEmbedder.js";
import { createReranker } from "./clients/createReranker.js";
import type { CoordinatorConfig } from "./coordinatorConfigSchema.js";
import type { CoordinatorRuntime } from "./CoordinatorRuntime.js";
import { createCoordinatorMetrics } from "./createCoordinatorMetrics.js";
import { configEnvRoute } from "./dashboard/configEnvRoute.js";
import { createLogRing, type LogRing } from "./dashboard/createLogRing.js";
import { dashboardRoute } from "./dashboard/dashboardRoute.js";
import { healthAggregateRoute } from "./dashboard/healthAggregateRoute.js";
import { internalsRoute } from "./dashboard/internalsRoute.js";
import { logsRoute } from "./dashboard/logsRoute.js";
import { expandQuery } from "./pipeline/expandQuery.js";
import { queryExpansionSchema } from "./pipeline/queryExpansionSchema.js";
import { chatCompletionsRoute } from "./routes/chatCompletionsRoute.js";
import { embeddingsRoute } from "./routes/embeddingsRoute.js";
import { modelsRoute } from "./routes/modelsRoute.js";
import { feedbackRoute } from "./routes/feedbackRoute.js";
import { gapsRoute } from "./routes/gapsRoute.js";
import { queryRoute } from "./routes/queryRoute.js";
import { statusRoute } from "./routes/statusRoute.js";
import { CircuitBreaker } from "./routing/CircuitBreaker.js";
import { createHealthProbe } from "./routing/createHealthProbe.js";
import { createRoutingMetrics } from "./routing/createRoutingMetrics.js";
import { RoutingConfigStore } from "./routing/RoutingConfigStore.js";
import { createAidbInteractionStore } from "./store/createAidbInteractionStore.js";
import type { InteractionStore } from "./store/InteractionStore.js";
import { createLearningLoop } from "./learning/createLearningLoop.js";
import { proposalsRoute } from "./routes/proposalsRoute.js";
import { createTelemetryLog } from "./telemetry/createTelemetryLog.js";

export const TELEMETRY_FILE = "telemetry.jsonl";

export interface CoordinatorAppOptions {
  config: CoordinatorConfig;
  logger: Logger;
  /** A store (tests); otherwise aidb's, through its client. Closed with the app only when made here. */
  store?: InteractionStore;
  /**
   * The ring of recent log lines that GET /logs/recent serves. The logger
   * must write into it (createLogger's `tee` option); without one, the app
   * creates an empty ring that nothing feeds.
   */
  logRing?: LogRing;
  /** The learning loop's clock (tests simulate weeks); default the real time. */
  clock?: () => Date;
}

export interface CoordinatorApp {
  app: KernelApp;
  runtime: CoordinatorRuntime;
  logRing: LogRing;
}

/** Reads the remote API key file; a missing or empty file is a configuration error (exit 2). */
function readKey(file: string): string {
  let key: string;
  try {
    key = readFileSync(file, "utf8").trim();
  } catch (err) {
    throw new UsageError(`remoteLlmKeyFile: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!key) throw new UsageError(`remoteLlmKeyFile: ${file} is empty`);
  return key;
}

/**
 * Builds the coordinator: routing config (watched), database (migrated),
 * semantic cache, telemetry, the clients of inference, aidb and the remote,
 * and the routes. Closing the app closes everything it opened.
 */
export async function buildApp(opts: CoordinatorAppOptions): Promise<CoordinatorApp> {
  const { config, logger } = opts;
  const kernelMetrics = createMetrics("coordinator");
  const registry = kernelMetrics.registry;
  const expansion = queryExpansionSchema.parse(expansionJson);
  // V8 compiles each expansion regex on first use (8-20 ms in all); pay that at boot, not in a request.
  const warmup = [...Object.keys(expansion.terms), ...Object.values(expansion.terms).flat()].join(" ");
  for (let i = 0; i < 3; i++) expandQuery(warmup, expansion);
  const remoteKey = config.remoteLlmKeyFile ? readKey(config.remoteLlmKeyFile) : undefined;
  // The stack's own key: sent to aidb and inference, which accept it when keys are enforced. Never logged.
  const internalKey = config.internalKeyFile ? readInternalKey(config.internalKeyFile) : undefined;

  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((err) => logger.warn({ err }, "error while closing"));
  };
  try {
    const routingConfig = await RoutingConfigStore.open({ stateDir: config.stateDir, logger });
    closers.push(() => routingConfig.close());

    const aidb = createAidbClient({ url: config.aidbUrl, timeoutMs: config.aidbTimeoutMs, apiKey: internalKey });
    // Interactions, feedback and gaps live in aidb's database, behind its API.
    const store = opts.store ?? createAidbInteractionStore({ aidb, logger });
    if (!opts.store) {
      const s = store;
      closers.push(() => s.close());
    }

    const cache = await createSemanticCache({
      redisUrl: config.semanticCacheEnabled ? config.redisUrl : undefined,
      similarity: config.semanticCacheSimilarity,
      maxEntriesPerScope: config.semanticCacheMaxEntries,
      ttlSeconds: config.semanticCacheTtlSeconds,
      logger,
      registry,
    });
    closers.push(() => cache.close());
    if (!config.redisUrl) logger.warn({ event: "semantic_cache_disabled", reason: "no redisUrl" }, "no Redis configured: running without the semantic cache");
    else if (!config.semanticCacheEnabled) logger.info({ event: "semantic_cache_disabled", reason: "semanticCacheEnabled=false" }, "semantic cache switched off by configuration");

    const telemetry = createTelemetryLog({ file: join(config.stateDir, TELEMETRY_FILE), maxBytes: config.telemetryMaxBytes, logger });
    closers.push(() => telemetry.close());

    let breaker: CircuitBreaker | undefined;
    const circuit = () => {
      const { failures, cooldownMs } = routingConfig.current().remoteCircuit;
      if (!breaker || breaker.failureThreshold !== failures || breaker.cooldownMs !== cooldownMs) {
        breaker = new CircuitBreaker({ failures, cooldownMs });
      }
      return breaker;
    };

    const runtime: CoordinatorRuntime = {
      config,
      logger,
      registry,
      metrics: createCoordinatorMetrics(registry),
      routingMetrics: createRoutingMetrics({ registry }),
      routingConfig,
      circuit,
      localProbe: createHealthProbe({ baseUrl: config.inferenceUrl, timeoutMs: config.healthTimeoutMs, cacheMs: config.healthCacheMs, apiKey: internalKey }),
      local: createChatBackend({ name: "local", apiBase: `${config.inferenceUrl.replace(/\/+$/, "")}/v1`, apiKey: internalKey, timeoutMs: config.localTimeoutMs }),
      remote: config.remoteLlmUrl
        ? createChatBackend({ name: "remote", apiBase: config.remoteLlmUrl, apiKey: remoteKey, model: config.remoteModel, timeoutMs: config.remoteTimeoutMs })
        : undefined,
      aidb,
      reranker: config.rerankUrl ? createReranker({ url: config.rerankUrl, timeoutMs: config.rerankTimeoutMs, apiKey: internalKey }) : undefined,
      embedder: createQueryEmbedder({ url: config.embeddingsUrl ?? config.inferenceUrl, timeoutMs: config.aidbTimeoutMs, apiKey: internalKey }),
      cache,
      store,
      telemetry,
      expansion,
      pendingRecords: new Map(),
      degraded: new Map(),
      learning: createLearningLoop({
        aidb,
        routingConfig,
        config,
        logger,
        clock: opts.clock ?? (() => new Date()),
        changesFile: config.learningChangesFile ?? join(config.stateDir, "learning-changes.md"),
      }),
    };

    const probeDb = async () => {
      const started = performance.now();
      try {
        await store.ping(1000);
        runtime.metrics.postgresQueryOk.set(1);
        runtime.metrics.dependencyUp.set({ dependency: "database" }, 1);
        runtime.degraded.delete("database");
        return { ok: true };
      } catch (err) {
        runtime.metrics.postgresQueryOk.set(0);
        runtime.metrics.dependencyUp.set({ dependency: "database" }, 0);
        runtime.degraded.set("database", (err as Error).message);
        return { ok: false, detail: (err as Error).message };
      } finally {
        runtime.metrics.postgresLatency.set((performance.now() - started) / 1000);
      }
    };
    await probeDb();

    const app = buildKernel({
      service: "coordinator",
      logger,
      metrics: kernelMetrics,
      bodyLimit: config.bodyLimitBytes,
      access: { table: coordinatorAccess, settings: config, redisUrl: config.redisUrl },
      // The coordinator is ready when its own database works; backends that
      // are down degrade answers (and are reported) but do not make it unready.
      readiness: async () => {
        const [database, local, aidb] = await Promise.all([
          probeDb(),
          runtime.localProbe.check(),
          runtime.aidb.health(1000).then(
            () => undefined,
            (err: Error) => err.message,
          ),
        ]);
        const c = cache.status();
        return {
          database,
          local_llm: { ok: local.healthy, degraded: !local.healthy, detail: local.error ?? (local.loading ? "loading" : undefined) },
          aidb: { ok: !aidb, degraded: Boolean(aidb), detail: aidb },
          semantic_cache: { ok: c.healthy, degraded: !c.healthy, detail: c.reason },
        };
      },
    });
    app.addHook("onRequest", async (request) => {
      if (request.url !== "/metrics") return;
      await probeDb();
      // The breaker's state at scrape time, not only at the last query.
      runtime.metrics.remoteCircuit.set(runtime.remote && circuit().state === "open" ? 1 : 0);
    });
    await app.register(queryRoute, { runtime });
    await app.register(chatCompletionsRoute, { runtime });
    await app.register(modelsRoute, { runtime });
    await app.register(embeddingsRoute, { runtime });
    await app.register(statusRoute, { runtime });
    await app.register(feedbackRoute, { runtime });
    await app.register(gapsRoute, { runtime });
    const logRing = opts.logRing ?? createLogRing();
    await app.register(dashboardRoute);
    await app.register(healthAggregateRoute, { runtime, database: { target: "aidb store (SELECT 1 through aidb)", ping: (ms: number) => store.ping(ms) } });
    await app.register(internalsRoute, { runtime });
    await app.register(proposalsRoute, { runtime });
    await app.register(logsRoute, { logRing });
    await app.register(configEnvRoute, { runtime });

    app.addHook("onClose", async () => {
      await Promise.allSettled([...runtime.pendingRecords.values()]);
      await closeAll();
    });
    logger.info(
      {
        event: "coordinator_ready",
        remote: config.remoteLlmUrl ? "configured" : "not configured",
        semantic_cache: cache.status(),
        reranker: config.rerankUrl ? "configured" : "not configured",
        store: store.kind,
      },
      "coordinator built",
    );
    return { app, runtime, logRing };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
