import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { ModelList } from "../api/modelListSchema.js";
import type { InferenceRuntime } from "../InferenceRuntime.js";

/** GET /v1/models, OpenAI-compatible: the loaded chat, embedding and rerank models. */
export async function modelsRoute(app: KernelApp, { runtime }: { runtime: InferenceRuntime }) {
  app.get("/v1/models", async () => {
    const created = Math.floor(Date.now() / 1000);
    const entries: Array<{ id: string; role: ModelList["data"][number]["role"] }> = [];
    const chat = runtime.chat.status();
    if (chat.model_name) entries.push({ id: chat.model_name, role: "chat" });
    if (runtime.embed) entries.push({ id: runtime.embed.engine.info.name ?? runtime.embed.engine.info.path, role: "embedding" });
    if (runtime.rerank) entries.push({ id: runtime.rerank.info.name ?? runtime.rerank.info.path, role: "rerank" });
    return {
      object: "list",
      data: entries.map((e) => ({ id: e.id, object: "model" as const, created, owned_by: "local", role: e.role })),
    } satisfies ModelList;
  });
}
