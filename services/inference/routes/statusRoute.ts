import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { InferenceStatus } from "../api/inferenceStatusSchema.js";
import type { InferenceRuntime } from "../InferenceRuntime.js";

/** GET /status: model, loading progress, queue and sequences, limits. */
export async function statusRoute(app: KernelApp, { runtime }: { runtime: InferenceRuntime }) {
  app.get("/status", async () => {
    const chat = runtime.chat.status();
    return {
      ...chat,
      threads: runtime.config.threads,
      queue_limit: runtime.config.queueLimit,
      models: {
        chat: chat.model_path ? { path: chat.model_path, sha256: chat.model_sha256, loaded: !chat.loading } : null,
        embed: runtime.embed
          ? { path: runtime.embed.engine.info.path, sha256: runtime.embed.engine.info.sha256, dimensions: runtime.embed.engine.dimensions, loaded: true }
          : runtime.config.embedModel
            ? { path: runtime.config.embedModel, loaded: false, error: runtime.loadErrors.embed ?? null }
            : null,
        rerank: runtime.rerank
          ? { path: runtime.rerank.info.path, sha256: runtime.rerank.info.sha256, loaded: true }
          : runtime.config.rerankModel
            ? { path: runtime.config.rerankModel, loaded: false, error: runtime.loadErrors.rerank ?? null }
            : null,
      },
    } satisfies InferenceStatus;
  });
}
