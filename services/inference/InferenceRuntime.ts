import type { Llama } from "node-llama-cpp";
import type { Logger } from "pino";
import type { ModelDownload } from "./api/modelDownloadSchema.js";
import type { ChatModelHost } from "./ChatModelHost.js";
import type { LlamaBackend } from "./getLlamaBackend.js";
import type { MemoryLimit } from "./memory/readMemoryLimit.js";
import type { InferenceMetrics } from "./createInferenceMetrics.js";
import type { createGrammarCache } from "./createGrammarCache.js";
import type { EmbeddingBatcher } from "./EmbeddingBatcher.js";
import type { EmbeddingEngine } from "./EmbeddingEngine.js";
import type { InferenceConfig } from "./inferenceConfigSchema.js";
import type { ModelVerifier } from "./ModelVerifier.js";
import type { RerankEngine } from "./RerankEngine.js";

/** Everything the inference routes share. Engines are absent until loaded. */
export interface InferenceRuntime {
  config: InferenceConfig;
  logger: Logger;
  llama: Llama;
  metrics: InferenceMetrics;
  verify: ModelVerifier;
  chat: ChatModelHost;
  /** The llama.cpp backend that runs (and whether it is a fallback from the GPU). */
  backend: LlamaBackend;
  /** The memory limit the models are planned against, or null without one. */
  memoryLimit: MemoryLimit | null;
  grammarFor: ReturnType<typeof createGrammarCache>;
  embed?: { engine: EmbeddingEngine; batcher: EmbeddingBatcher };
  rerank?: RerankEngine;
  /** Errors from loading the optional models, reported in /status. */
  loadErrors: { embed?: string; rerank?: string };
  /**
   * Configured model files that are not there yet, by role, while the
   * downloader fetches them (modelDownloadStatusFile); deleted once loading starts.
   */
  downloads: { chat?: ModelDownload; embed?: ModelDownload; rerank?: ModelDownload };
}
