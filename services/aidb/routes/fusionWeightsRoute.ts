import type { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { AidbRuntime } from "../AidbRuntime.js";
import { fusionWeightsSchema } from "../api/documentsContract.js";


/** GET and PUT /rag/fusion/weights: hybrid search weights, normalised to sum 1, versioned and persisted. */
export async function fusionWeightsRoute(app: KernelApp, { runtime }: { runtime: AidbRuntime }) {
  app.get("/rag/fusion/weights", async () => runtime.weights.current());
  app.put("/rag/fusion/weights", { schema: { body: fusionWeightsSchema } }, async (request) => {
    const weights = await runtime.weights.set(request.body as z.infer<typeof fusionWeightsSchema>);
    runtime.logger.info({ event: "fusion_weights_changed", ...weights }, "fusion weights changed");
    await runtime.stamps.bumpFusion();
    return weights;
  });
}
