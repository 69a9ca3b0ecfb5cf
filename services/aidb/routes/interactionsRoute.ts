import { z } from "zod";
import { createInteractionRepository } from "../../coordinator/store/createInteractionRepository.js";
import { writeInteractionBatch } from "../../coordinator/store/createSqlInteractionStore.js";
import { storeBatchSchema } from "../../coordinator/store/storeItemSchema.js";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import { HttpError } from "../../shared/http/HttpError.js";
import type { AidbRuntime } from "../AidbRuntime.js";
import { queryInt } from "../../shared/http/queryFields.js";

const idParams = z.object({ id: z.string().uuid("expected an interaction id (uuid)") });
const feedbackBody = z.strictObject({ rating: z.union([z.literal(1), z.literal(-1)]), note: z.string().max(100_000).optional() });

/**
 * The coordinator's store, hosted by aidb in its own database (tables from
 * migrateCoordinator): POST /interactions/batch, GET /interactions/:id,
 * POST /interactions/:id/feedback, GET /interactions/gaps, GET
 * /interactions/ping. The coordinator is their only client; like the rest of
 * aidb they are meant for loopback.
 */
export async function interactionsRoute(app: KernelApp, { runtime }: { runtime: AidbRuntime }) {
  const repo = createInteractionRepository(runtime.db);

  app.post("/interactions/batch", { schema: { body: storeBatchSchema } }, async (request) => {
    const { items } = request.body as z.infer<typeof storeBatchSchema>;
    await writeInteractionBatch(runtime.db, items);
    return { recorded: items.length };
  });

  app.get("/interactions/gaps", { schema: { querystring: z.object({ days: queryInt(1, 3650).default(7), limit: queryInt(1, 1000).default(10) }) } }, async (request) => {
    const q = request.query as { days: number; limit: number };
    return { gaps: await repo.topGaps(q) };
  });

  app.get("/interactions/ping", async () => {
    const t0 = performance.now();
    await runtime.db.query("SELECT 1");
    return { ok: true, latency_ms: Math.round((performance.now() - t0) * 100) / 100 };
  });

  app.get("/interactions/:id", { schema: { params: idParams } }, async (request) => {
    const { id } = request.params as { id: string };
    const found = await repo.get(id);
    if (!found) throw new HttpError(404, "not_found", `no interaction ${id}`);
    return found;
  });

  app.post("/interactions/:id/feedback", { schema: { params: idParams, body: feedbackBody } }, async (request) => {
    const { id } = request.params as { id: string };
    const { rating, note } = request.body as z.infer<typeof feedbackBody>;
    const recorded = await repo.addFeedback(id, rating, note);
    if (!recorded) throw new HttpError(404, "not_found", `no interaction ${id}`);
    return { document_ids: recorded.documentIds };
  });
}
