import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { InferenceStatus } from "../api/inferenceStatusSchema.js";
import { downloadPercent } from "../api/modelDownloadSchema.js";
import { chatCapabilities } from "../chatCapabilities.js";
import type { InferenceRuntime } from "../InferenceRuntime.js";
import { resourceStatus } from "../resourceStatus.js";

/** GET /status: model, download and loading progress, capabilities, queue and sequences, limits. */
export async function statusRoute(app: KernelApp, { runtime }: { runtime: InferenceRuntime }) {
  app.get("/status", async () => {
    const chat = runtime.chat.status();
    const { config, downloads } = runtime;
    // A chat model file still being downloaded: its progress stands in for loading's until the load starts.
    const download = !chat.loading ? downloads.chat : undefined;
    const downloading = download !== undefined && download.state !== "refused";
    return {
      ...chat,
      ...(download && {
        load_progress_pct: downloadPercent(download),
        error: download.state === "refused" ? `the chat model's download was refused: ${download.error ?? "unknown reason"}` : chat.error,
      }),
      downloading,
      download: download ?? null,
      capabilities: chatCapabilities(config, chat.function_calling),
      threads: config.threads,
      queue_limit: config.queueLimit,
      ...(await resourceStatus(runtime)),
      models: {
        chat: chat.model_path
          ? { path: chat.model_path, sha256: chat.model_sha256, loaded: !chat.loading }
          : config.chatModel && downloads.chat
            ? { path: config.chatModel, loaded: false, download: downloads.chat }
            : null,
        embed: runtime.embed
          ? { path: runtime.embed.engine.info.path, sha256: runtime.embed.engine.info.sha256, dimensions: runtime.embed.engine.dimensions, loaded: true }
          : config.embedModel
            ? { path: config.embedModel, loaded: false, error: runtime.loadErrors.embed ?? null, ...(downloads.embed && { download: downloads.embed }) }
            : null,
        rerank: runtime.rerank
          ? { path: runtime.rerank.info.path, sha256: runtime.rerank.info.sha256, loaded: true }
          : config.rerankModel
            ? { path: config.rerankModel, loaded: false, error: runtime.loadErrors.rerank ?? null, ...(downloads.rerank && { download: downloads.rerank }) }
            : null,
      },
    } satisfies InferenceStatus;
  });
}
