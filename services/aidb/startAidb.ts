import { createLogger } from "../shared/logging/createLogger.js";
import { runServer } from "../shared/http/runServer.js";
import { buildApp } from "./app.js";
import { loadAidbConfig } from "./loadAidbConfig.js";

/** Loads config (file, env, flags), builds aidb and serves it until SIGTERM. ConfigError/UsageError: exit 2. */
export async function startAidb(opts: { file?: string; overrides?: Record<string, unknown> } = {}): Promise<void> {
  const config = loadAidbConfig(opts);
  const logger = createLogger({ name: "aidb", level: config.logLevel });
  logger.info({ event: "config", config: { ...config, databaseUrl: config.databaseUrl ? redactUrl(config.databaseUrl) : undefined, redisUrl: config.redisUrl ? redactUrl(config.redisUrl) : undefined } }, "aidb config loaded");
  const { app } = await buildApp({ config, logger });
  await runServer(app, { host: config.host, port: config.port, shutdownTimeoutMs: config.shutdownTimeoutMs });
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//[REDACTED]@");
}
