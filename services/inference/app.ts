import { existsSync } from "node:fs";
import type { Llama } from "node-llama-cpp";
import type { Logger } from "pino";
import { buildKernel, type KernelApp } from "../shared/http/buildKernel.js";
import { inferenceAccess } from "./api/inferenceAccess.js";
import { downloadPercent } from "./api/modelDownloadSchema.js";
import { HttpError } from "../shared/http/HttpError.js";
import { createMetrics } from "../shared/metrics/createMetrics.js";
import { ChatModelHost } from "./ChatModelHost.js";
import { createGrammarCache } from "./createGrammarCache.js";
import { createInferenceMetrics } from "./createInferenceMetrics.js";
import { EmbeddingBatcher } from "./EmbeddingBatcher.js";
import { EmbeddingEngine } from "./EmbeddingEngine.js";
import { getLlamaBackend, type LlamaBackend } from "./getLlamaBackend.js";
import type { InferenceConfig } from "./inferenceConfigSchema.js";
import type { InferenceRuntime } from "./InferenceRuntime.js";
import { createChatPlanner, embedContextSize } from "./memory/createChatPlanner.js";
import { resolveMemoryLimit, type MemoryLimit } from "./memory/readMemoryLimit.js";
import type { ModelVerifier } from "./ModelVerifier.js";
import { gpuOptionsOf, reportBackend, reportPlan } from "./reportResources.js";
import { RerankEngine } from "./RerankEngine.js";
import { chatCompletionsRoute } from "./routes/chatCompletionsRoute.js";
import { embeddingsRoute } from "./routes/embeddingsRoute.js";
import { modelsRoute } from "./routes/modelsRoute.js";
import { reloadModelRoute } from "./routes/reloadModelRoute.js";
import { rerankRoute } from "./routes/rerankRoute.js";
import { statusRoute } from "./routes/statusRoute.js";
import { verifyModelFile } from "./verifyModelFile.js";
import { waitForModelFile } from "./waitForModelFile.js";

export interface InferenceAppOptions {
  config: InferenceConfig;
  logger: Logger;
  /** A llama.cpp binding to use as is (the CPU backend, as far as /status and the metrics know). */
  llama?: Llama;
  verify?: ModelVerifier;
  /** The memory limit to plan against; default: memoryLimitBytes, else the cgroup's. */
  memoryLimit?: MemoryLimit | null;
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
  const backend: LlamaBackend = opts.llama
    ? { llama: opts.llama, requested: "off", backend: "cpu", fallback: null }
    : await getLlamaBackend(config.threads, gpuOptionsOf(config));
  const { llama } = backend;
  const memoryLimit = opts.memoryLimit !== undefined ? opts.memoryLimit : resolveMemoryLimit(config.memoryLimitBytes);
  const kernelMetrics = createMetrics("inference");
  const metrics = createInferenceMetrics(kernelMetrics.registry);
  reportBackend(backend, memoryLimit, config, metrics, logger);
  const planChat = createChatPlanner(config, llama, memoryLimit);
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
    plan: async (path) => reportPlan(await planChat(path), metrics, logger),
  });
  const runtime: InferenceRuntime = {
    config,
    logger,
    llama,
    metrics,
    verify,
    chat,
    backend,
    memoryLimit,
    grammarFor: createGrammarCache(llama),
    loadErrors: {},
    downloads: {},
  };

  const app = buildKernel({
    service: "inference",
    logger,
    metrics: kernelMetrics,
    bodyLimit: config.bodyLimitBytes,
    access: { table: inferenceAccess, settings: config },
    readiness: () => {
      const s = chat.status();
      const downloading = (role: "chat" | "embed" | "rerank") => {
        const d = runtime.downloads[role];
        return d && `${d.state === "refused" ? "download refused" : "downloading"} ${downloadPercent(d)}%${d.error ? `: ${d.error}` : ""}`;
      };
      return {
        ...(config.chatModel
          ? { chat_model: { ok: s.healthy, detail: s.loading ? `loading ${s.load_progress_pct}%` : (downloading("chat") ?? s.error ?? undefined) } }
          : {}),
        ...(config.embedModel ? { embed_model: { ok: runtime.embed !== undefined, detail: downloading("embed") ?? runtime.loadErrors.embed } } : {}),
        ...(config.rerankModel ? { rerank_model: { ok: runtime.rerank !== undefined, detail: downloading("rerank") ?? runtime.loadErrors.rerank } } : {}),
      };
    },
  });
  await app.register(statusRoute, { runtime });
  await app.register(modelsRoute, { runtime });
  await app.register(chatCompletionsRoute, { runtime });
  await app.register(embeddingsRoute, { runtime });
  await app.register(rerankRoute, { runtime });
  await app.register(reloadModelRoute, { runtime });

  // Ends the waiting for models still being downloaded when the app closes.
  const stopWaiting = new AbortController();
  const modelsLoaded = loadModels(runtime, stopWaiting.signal);
  app.addHook("onClose", async () => {
    stopWaiting.abort();
    await modelsLoaded;
    chat.scheduler.rejectAll(new HttpError(503, "shutting_down", "the service is shutting down"));
    await chat.dispose();
    await runtime.embed?.engine.dispose();
    await runtime.rerank?.dispose();
  });
  return { app, runtime, modelsLoaded };
}

type Role = "chat" | "embed" | "rerank";

/**
 * Loads the configured models one after another (chat, embed, rerank). A
 * model whose file is not there yet while a download is under way
 * (`modelDownloadStatusFile` set) does not hold up the others: its progress
 * goes to `runtime.downloads` until the file appears, then it loads in turn.
 * `signal` ends the waiting (the service is closing).
 */
async function loadModels(runtime: InferenceRuntime, signal: AbortSignal): Promise<void> {
  const { config, logger } = runtime;
  const jobs: { role: Role; path: string; load: () => Promise<void> }[] = [];
  if (config.chatModel) jobs.push({ role: "chat", path: config.chatModel, load: () => loadChat(runtime) });
  if (config.embedModel) jobs.push({ role: "embed", path: config.embedModel, load: () => loadEmbed(runtime) });
  if (config.rerankModel) jobs.push({ role: "rerank", path: config.rerankModel, load: () => loadRerank(runtime) });

  // One load at a time; each loader reports its own failure.
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (load: () => Promise<void>) => (chain = chain.then(load).catch(() => undefined));
  const waits: Promise<unknown>[] = [];
  for (const job of jobs) {
    if (!config.modelDownloadStatusFile || existsSync(job.path)) {
      enqueue(job.load);
      continue;
    }
    logger.info({ event: "model_waiting", role: job.role, path: job.path }, `${job.role} model not there yet: waiting for its download`);
    runtime.downloads[job.role] = { state: "waiting", bytes_done: 0, bytes_total: null, error: null };
    const waited = waitForModelFile(job.path, {
      statusFile: config.modelDownloadStatusFile,
      pollMs: config.modelWaitPollMs,
      signal,
      onProgress: (p) => {
        runtime.downloads[job.role] = p;
      },
    }).then((present) => {
      if (!present) return;
      logger.info({ event: "model_downloaded", role: job.role, path: job.path }, `${job.role} model file is in place: loading it`);
      // The download stays reported (verifying) until the model is verified and loading.
      return enqueue(() => job.load().finally(() => delete runtime.downloads[job.role]));
    });
    waits.push(waited);
  }
  await Promise.all(waits);
  await chain;
}

function failed(runtime: InferenceRuntime, role: Role, err: unknown): string {
  runtime.logger.error({ event: "model_load_failed", role, err }, `${role} model failed to load`);
  return (err as Error).message;
}

async function loadChat(runtime: InferenceRuntime): Promise<void> {
  const { config } = runtime;
  try {
    await runtime.chat.load(config.chatModel!, config.chatModelSha256);
  } catch (err) {
    failed(runtime, "chat", err);
    runtime.chat.scheduler.rejectAll(new HttpError(503, "model_unavailable", `the chat model failed to load: ${(err as Error).message}`));
  }
}

async function loadEmbed(runtime: InferenceRuntime): Promise<void> {
  const { config, logger, llama, metrics } = runtime;
  try {
    const started = performance.now();
    const info = await runtime.verify(config.embedModel!, config.embedModelSha256);
    // One thread per embedding context: a batch spreads over the contexts
    // in parallel, which beats one context with several spinning threads
    // (docs/benchmarks.md).
    const engine = await EmbeddingEngine.open(llama, info, {
      threads: 1,
      contexts: config.embedContexts,
      contextSize: embedContextSize(config),
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
    delete runtime.loadErrors.embed;
    logger.info({ event: "model_ready", role: "embed", path: info.path, dimensions: engine.dimensions }, "embedding model ready");
  } catch (err) {
    runtime.loadErrors.embed = failed(runtime, "embed", err);
  }
}

async function loadRerank(runtime: InferenceRuntime): Promise<void> {
  const { config, logger, llama, metrics } = runtime;
  try {
    const started = performance.now();
    const info = await runtime.verify(config.rerankModel!, config.rerankModelSha256);
    runtime.rerank = await RerankEngine.open(llama, info, { threads: config.threads, contextSize: embedContextSize(config) });
    metrics.modelLoadSeconds.observe({ role: "rerank" }, (performance.now() - started) / 1000);
    delete runtime.loadErrors.rerank;
    logger.info({ event: "model_ready", role: "rerank", path: info.path }, "reranker ready");
  } catch (err) {
    runtime.loadErrors.rerank = failed(runtime, "rerank", err);
  }
}
