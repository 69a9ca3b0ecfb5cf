import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { AidbRuntime } from "../AidbRuntime.js";

/** GET /status: store counts, schema version, driver, embedding model and cache. */
export async function statusRoute(app: KernelApp, { runtime }: { runtime: AidbRuntime }) {
  app.get("/status", async () => ({
    driver: runtime.db.driver,
    schema_version: runtime.schemaVersion,
    ...(await runtime.documents.counts()),
    embedding_model: { ...runtime.embedder.fingerprint, kind: runtime.embedder.kind, max_input_tokens: runtime.embedder.maxInputTokens },
    embedding_dimensions: runtime.dimensions,
    stale_chunks: runtime.staleChunks,
    embedding_cache: runtime.cache.status(),
    fusion_weights: await runtime.weights.current(),
    limits: {
      max_document_bytes: runtime.config.maxDocumentBytes,
      max_batch_documents: runtime.config.maxBatchDocuments,
      chunk_tokens: runtime.config.chunkTokens,
      chunk_overlap_tokens: runtime.config.chunkOverlapTokens,
      injection_threshold: runtime.config.injectionThreshold,
    },
  }));
}
