import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { SemanticCache } from "./cache/SemanticCache.js";
import type { AidbClient } from "../aidb/api/createAidbClient.js";
import type { ChatBackend } from "./clients/createChatBackend.js";
import type { QueryEmbedder } from "./clients/createQueryEmbedder.js";
import type { Reranker } from "./clients/createReranker.js";
import type { CoordinatorConfig } from "./coordinatorConfigSchema.js";
import type { CoordinatorMetrics } from "./createCoordinatorMetrics.js";
import type { QueryExpansionMap } from "./pipeline/queryExpansionSchema.js";
import type { CircuitBreaker } from "./routing/CircuitBreaker.js";
import type { HealthProbe } from "./routing/createHealthProbe.js";
import type { RoutingMetrics } from "./routing/createRoutingMetrics.js";
import type { RoutingConfigStore } from "./routing/RoutingConfigStore.js";
import type { InteractionStore } from "./store/InteractionStore.js";
import type { LearningLoop } from "./learning/createLearningLoop.js";
import type { createTelemetryLog } from "./telemetry/createTelemetryLog.js";

export type TelemetryLog = ReturnType<typeof createTelemetryLog>;

/** Everything a coordinator request handler needs, built once by `buildApp`. */
export interface CoordinatorRuntime {
  config: CoordinatorConfig;
  logger: Logger;
  registry: Registry;
  metrics: CoordinatorMetrics;
  routingMetrics: RoutingMetrics;
  routingConfig: RoutingConfigStore;
  /** The remote's breaker; rebuilt when routing-config.json changes its settings. */
  circuit(): CircuitBreaker;
  localProbe: HealthProbe;
  local: ChatBackend;
  remote?: ChatBackend;
  /** Whether the last remote call succeeded (undefined before any). */
  remoteLastOk?: boolean;
  aidb: AidbClient;
  reranker?: Reranker;
  embedder: QueryEmbedder;
  cache: SemanticCache;
  /** Interactions, feedback and gaps (in aidb's database, through its API). */
  store: InteractionStore;
  telemetry: TelemetryLog;
  expansion: QueryExpansionMap;
  /** The learning loop: the weekly job and the application of proposals (docs/learning.md). */
  learning: LearningLoop;
  /** Interactions being written, by id: feedback waits for its row. */
  pendingRecords: Map<string, Promise<unknown>>;
  /** The last failure of each dependency, for /status; deleted when it works again. */
  degraded: Map<string, string>;
}
