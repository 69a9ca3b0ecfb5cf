import { createLogger } from "../shared/logging/createLogger.js";
import { runServer } from "../shared/http/runServer.js";
import { buildApp } from "./app.js";
import { createLogRing } from "./dashboard/createLogRing.js";
import { loadCoordinatorConfig } from "./loadCoordinatorConfig.js";

const redactUrl = (url: string | undefined) => url?.replace(/\/\/([^@/]*)@/, "//[REDACTED]@");

/** Loads config (file, env, flags), builds the coordinator and serves it until SIGTERM. ConfigError/UsageError: exit 2. */
export async function startCoordinator(opts: { file?: string; overrides?: Record<string, unknown> } = {}): Promise<void> {
  const config = loadCoordinatorConfig(opts);
  // The dashboard's /logs/recent serves the last lines from this ring; stdout is unchanged.
  const logRing = createLogRing();
  const logger = createLogger({ name: "coordinator", level: config.logLevel, tee: [logRing] });
  logger.info({ event: "config", config: { ...config, redisUrl: redactUrl(config.redisUrl) } }, "coordinator config loaded");
  const { app } = await buildApp({ config, logger, logRing });
  await runServer(app, { host: config.host, port: config.port, shutdownTimeoutMs: config.shutdownTimeoutMs });
}
