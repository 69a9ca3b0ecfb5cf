import type { KernelApp } from "../../shared/http/buildKernel.js";
import { HttpError } from "../../shared/http/HttpError.js";
import { UsageError } from "../../shared/UsageError.js";
import { reloadModelRequestSchema, type ReloadModelRequest, type ReloadModelResponse } from "../api/reloadModelRequestSchema.js";
import type { InferenceRuntime } from "../InferenceRuntime.js";

/**
 * POST /reload-model `{model, sha256?}` swaps the chat model in place.
 * Requests arriving meanwhile queue; a file that fails verification gets 422
 * and the old model keeps serving.
 */
export async function reloadModelRoute(app: KernelApp, { runtime }: { runtime: InferenceRuntime }) {
  app.post("/reload-model", { schema: { body: reloadModelRequestSchema } }, async (request) => {
    const body = request.body as ReloadModelRequest;
    const started = performance.now();
    try {
      const info = await runtime.chat.load(body.model, body.sha256);
      return { status: "loaded", model_path: info.path, sha256: info.sha256, load_seconds: (performance.now() - started) / 1000 } satisfies ReloadModelResponse;
    } catch (err) {
      if (err instanceof UsageError) {
        throw new HttpError(422, "model_verification_failed", err.message, { code: (err as { code?: string }).code ?? null });
      }
      throw new HttpError(500, "model_load_failed", `the model failed to load; the previous model is serving again: ${(err as Error).message}`);
    }
  });
}
