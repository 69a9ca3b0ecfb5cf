import { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { AidbRuntime } from "../AidbRuntime.js";

const weightsSchema = z
  .object({
    vector: z.number().min(0, "must be non-negative").max(1e6),
    keyword: z.number().min(0, "must be non-negative").max(1e6),
  })
  .strict()
  .refine((w) => w.vector + w.keyword > 0, { message: "vector + keyword must be greater than 0", path: ["vector"] });

/** GET and PUT /rag/fusion/weights: hybrid search weights, normalised to sum 1, versioned and persisted. */
export async function fusionWeightsRoute(app: KernelApp, { runtime }: { runtime: AidbRuntime }) {
  app.get("/rag/fusion/weights", async () => runtime.weights.current());
  app.put("/rag/fusion/weights", { schema: { body: weightsSchema } }, async (request) => {
    const weights = await runtime.weights.set(request.body as z.infer<typeof weightsSchema>);
    runtime.logger.info({ event: "fusion_weights_changed", ...weights }, "fusion weights changed");
    await runtime.stamps.bumpFusion();
    return weights;
  });
}
