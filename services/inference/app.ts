import type { Llama } from "node-llama-cpp";
import type { Logger } from "pino";
import { buildKernel, type KernelApp } from "../shared/http/buildKernel.js";
import { HttpError } from "../shared/http/HttpError.js";
import { createMetrics } from "../shared/metrics/createMetrics.js";
import { ChatModelHost } from "./ChatModelHost.js";
import { createGrammarCache } from "./createGrammarCache.js";
import { createInferenceMetrics } from "./createInferenceMetrics.js";
import { EmbeddingBatcher } from "./EmbeddingBatcher.js";
import { EmbeddingEngine } from "./EmbeddingEngine.js";
import { getSharedLlama } from "./getSharedLlama.js";
import type { InferenceConfig } from "./inferenceConfigSchema.js";
import type { InferenceRuntime } from "./InferenceRuntime.js";
import type { ModelVerifier } from "./ModelVerifier.js";
import { RerankEngine } from "./RerankEngine.js";
import { chatCompletionsRoute } from "./routes/chatCompletionsRoute.js";
import { embeddingsRoute } from "./routes/embeddingsRoute.js";
import { modelsRoute } from "./routes/modelsRoute.js";
import { reloadModelRoute } from "./routes/reloadModelRoute.js";
import { rerankRoute } from "./routes/rerankRoute.js";
import { statusRoute } from "./routes/statusRoute.js";
import { verifyModelFile } from "./verifyModelFile.js";

export interface InferenceAppOptions {
  config: InferenceConfig;
  logger: Logger;
  llama?: Llama;
  verify?: ModelVerifier;
}

export interface InferenceApp {
  app: KernelApp;
  runtime: InferenceRuntime;
  /** Settles when every configured model has loaded (or failed to). */
  modelsLoaded: Promise<void>;
}

/**
 * Builds the inference service. The HTTP app is usable at once: models load
 * in the background, `/status` reports progress and chat requests queue
 * until the chat model is ready.
 */
export async function buildApp(opts: InferenceAppOptions): Promise<InferenceApp> {
  const { config, logger } = opts;
  const llama = opts.llama ?? (await getSharedLlama(config.threads));
  const kernelMetrics = createMetrics("inference");
  const metrics = createInferenceMetrics(kernelMetrics.registry);
  const verify = opts.verify ?? verifyModelFile;
  const chat = new ChatModelHost({
    llama,
    verify,
    metrics,
    logger,
    sequences: config.sequences,
    threads: config.threads,
    contextSize: config.contextSize,
    queueLimit: config.queueLimit,
  });
  const runtime: InferenceRuntime = {
    config,
    logger,
    llama,
    metrics,
    verify,
    chat,
    grammarFor: createGrammarCache(llama),
    loadErrors: {},
  };

  const app = buildKernel({
    service: "inference",
    logger,
    metrics: kernelMetrics,
    bodyLimit: config.bodyLimitBytes,
    readiness: () => {
      const s = chat.status();
      return {
        ...(config.chatModel ? { chat_model: { ok: s.healthy, detail: s.loading ? `loading ${s.load_progress_pct}%` : s.error ?? undefined } } : {}),
        ...(config.embedModel ? { embed_model: { ok: runtime.embed !== undefined, detail: runtime.loadErrors.embed } } : {}),
        ...(config.rerankModel ? { rerank_model: { ok: runtime.rerank !== undefined, detail: runtime.loadErrors.rerank } } : {}),
      };
    },
  });
  await app.register(statusRoute, { runtime });
  await app.register(modelsRoute, { runtime });
  await app.register(chatCompletionsRoute, { runtime });
  await app.register(embeddingsRoute, { runtime });
  await app.register(rerankRoute, { runtime });
  await app.register(reloadModelRoute, { runtime });

  const modelsLoaded = loadModels(runtime);
  app.addHook("onClose", async () => {
    await modelsLoaded;
    chat.scheduler.rejectAll(new HttpError(503, "shutting_down", "the service is shutting down"));
    await chat.dispose();
    await runtime.embed?.engine.dispose();
    await runtime.rerank?.dispose();
  });
  return { app, runtime, modelsLoaded };
}

async function loadModels(runtime: InferenceRuntime): Promise<void> {
  const { config, logger, llama, metrics } = runtime;
  const failed = (role: string, err: unknown) => {
    logger.error({ event: "model_load_failed", role, err }, `${role} model failed to load`);
    return (err as Error).message;
  };
  if (config.chatModel) {
    try {
      await runtime.chat.load(config.chatModel, config.chatModelSha256);
    } catch (err) {
      failed("chat", err);
      runtime.chat.scheduler.rejectAll(new HttpError(503, "model_unavailable", `the chat model failed to load: ${(err as Error).message}`));
    }
  }
  if (config.embedModel) {
    try {
      const started = performance.now();
      const info = await runtime.verify(config.embedModel, config.embedModelSha256);
      // One thread per embedding context: a batch spreads over the contexts
      // in parallel, which beats one context with several spinning threads
      // (docs/benchmarks.md).
      const engine = await EmbeddingEngine.open(llama, info, {
        threads: 1,
        contexts: config.embedContexts,
        contextSize: config.contextSize,
      });
      metrics.modelLoadSeconds.observe({ role: "embed" }, (performance.now() - started) / 1000);
      const batcher = new EmbeddingBatcher({
        embed: (texts) => engine.embed(texts),
        maxLatencyMs: config.batchMaxLatencyMs,
        maxSize: config.batchMaxSize,
        enabled: config.embeddingBatching,
        onBatch: (size) => metrics.embeddingBatchSize.observe(size),
      });
      runtime.embed = { engine, batcher };
      logger.info({ event: "model_ready", role: "embed", path: info.path, dimensions: engine.dimensions }, "embedding model ready");
    } catch (err) {
      runtime.loadErrors.embed = failed("embed", err);
    }
  }
  if (config.rerankModel) {
    try {
      const started = performance.now();
      const info = await runtime.verify(config.rerankModel, config.rerankModelSha256);
      runtime.rerank = await RerankEngine.open(llama, info, { threads: config.threads, contextSize: config.contextSize });
      metrics.modelLoadSeconds.observe({ role: "rerank" }, (performance.now() - started) / 1000);
      logger.info({ event: "model_ready", role: "rerank", path: info.path }, "reranker ready");
    } catch (err) {
      runtime.loadErrors.rerank = failed("rerank", err);
    }
  }
}
