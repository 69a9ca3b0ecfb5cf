import type { KernelApp } from "../../shared/http/buildKernel.js";
import { HttpError } from "../../shared/http/HttpError.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { localModelId, remoteModelId, routedModelId, type CoordinatorModelList } from "../api/modelsContract.js";

/**
 * GET /v1/models: what the front door serves, the id picking the route:
 * `ai-stack` (retrieval and the routing rules choose), the local chat model
 * (`local/<name>`, its name from the inference service's /status) and, when
 * one is configured, the remote (`remote/<remoteModel>`). GET
 * /v1/models/<id> answers one of them, or a 404 in OpenAI's shape.
 */
export async function modelsRoute(app: KernelApp, { runtime: rt }: { runtime: CoordinatorRuntime }) {
  const list = async (): Promise<CoordinatorModelList> => {
    const health = await rt.localProbe.check();
    const created = Math.floor(Date.now() / 1000);
    return {
      object: "list",
      data: [
        { id: routedModelId, object: "model", created, owned_by: "ai-stack", route: "routed" },
        { id: localModelId(health.modelName), object: "model", created, owned_by: "local", route: "local" },
        ...(rt.remote ? [{ id: remoteModelId(rt.config.remoteModel), object: "model" as const, created, owned_by: "remote", route: "remote" as const }] : []),
      ],
    };
  };
  app.get("/v1/models", list);
  app.get("/v1/models/*", async (request) => {
    const id = (request.params as { "*": string })["*"];
    const model = (await list()).data.find((m) => m.id === id);
    if (!model) throw new HttpError(404, "model_not_found", `The model \`${id}\` does not exist here`, { param: "model" });
    return model;
  });
}
