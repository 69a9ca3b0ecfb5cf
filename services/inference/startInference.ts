import { existsSync } from "node:fs";
import { createLogger } from "../shared/logging/createLogger.js";
import { runServer } from "../shared/http/runServer.js";
import { buildApp } from "./app.js";
import { getLlamaBackend } from "./getLlamaBackend.js";
import { loadInferenceConfig } from "./loadInferenceConfig.js";
import { checkMemoryAtBoot } from "./memory/createChatPlanner.js";
import { resolveMemoryLimit } from "./memory/readMemoryLimit.js";
import { gpuOptionsOf } from "./reportResources.js";
import { verifyModelFile } from "./verifyModelFile.js";

/**
 * Loads config (file, env, flags), builds the app and serves it until
 * SIGTERM. Throws ConfigError (exit 2) on invalid settings.
 */
export async function startInference(opts: { file?: string; overrides?: Record<string, unknown> } = {}): Promise<void> {
  const config = loadInferenceConfig(opts);
  const logger = createLogger({ name: "inference", level: config.logLevel });
  logger.info({ event: "config", config: { ...config } }, "inference config loaded");
  // A chat model that fails verification is a configuration error: refuse
  // to start (exit 2) rather than serve 503s. Optional models only degrade.
  // A chat model still being downloaded (modelDownloadStatusFile set and no
  // file yet) is verified when it appears; /status says `downloading` meanwhile.
  const awaitingDownload = config.chatModel !== undefined && config.modelDownloadStatusFile !== undefined && !existsSync(config.chatModel);
  if (config.chatModel && !awaitingDownload) await verifyModelFile(config.chatModel, config.chatModelSha256);
  // The backend (a GPU that must be there with gpuFallback "exit": exit 2)
  // and the memory budget (models and contexts that cannot fit the limit:
  // exit 2 with the numbers) are checked before the service listens.
  const { llama } = await getLlamaBackend(config.threads, gpuOptionsOf(config));
  const memoryLimit = resolveMemoryLimit(config.memoryLimitBytes);
  await checkMemoryAtBoot(config, llama, memoryLimit, !awaitingDownload);
  const { app } = await buildApp({ config, logger, memoryLimit });
  await runServer(app, { host: config.host, port: config.port, shutdownTimeoutMs: config.shutdownTimeoutMs });
}
