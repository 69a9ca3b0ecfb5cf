import type { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import { HttpError } from "../../shared/http/HttpError.js";
import type { AidbRuntime } from "../AidbRuntime.js";
import {
  gapsQuerySchema,
  interactionFeedbackSchema,
  interactionIdParams,
  storeBatchSchema,
} from "../api/interactionsContract.js";
import { createInteractionRepository } from "../interactions/createInteractionRepository.js";
import { writeInteractionBatch } from "../interactions/writeInteractionBatch.js";

/**
 * The coordinator's record of its answers, kept in aidb's database (tables
 * from migration 4): POST /interactions/batch, GET /interactions/:id,
 * POST /interactions/:id/feedback, GET /interactions/gaps, GET
 * /interactions/ping. The contract is in ../api/interactionsContract.ts; the
 * coordinator reaches it through aidb's client. Like the rest of aidb these
 * routes are meant for loopback.
 */
export async function interactionsRoute(app: KernelApp, { runtime }: { runtime: AidbRuntime }) {
  const repo = createInteractionRepository(runtime.db);

  app.post("/interactions/batch", { schema: { body: storeBatchSchema } }, async (request) => {
    const { items } = request.body as z.infer<typeof storeBatchSchema>;
    await writeInteractionBatch(runtime.db, items);
    return { recorded: items.length };
  });

  app.get("/interactions/gaps", { schema: { querystring: gapsQuerySchema } }, async (request) => {
    const q = request.query as z.infer<typeof gapsQuerySchema>;
    return { gaps: await repo.topGaps(q) };
  });

  app.get("/interactions/ping", async () => {
    const probe = await runtime.probeDb();
    if (!probe.ok) throw new HttpError(503, "database_unavailable", probe.detail ?? "the database did not answer");
    return { ok: true, latency_ms: probe.latencyMs };
  });

  app.get("/interactions/:id", { schema: { params: interactionIdParams } }, async (request) => {
    const { id } = request.params as z.infer<typeof interactionIdParams>;
    const found = await repo.get(id);
    if (!found) throw new HttpError(404, "not_found", `no interaction ${id}`);
    return found;
  });

  app.post("/interactions/:id/feedback", { schema: { params: interactionIdParams, body: interactionFeedbackSchema } }, async (request) => {
    const { id } = request.params as z.infer<typeof interactionIdParams>;
    const { rating, note } = request.body as z.infer<typeof interactionFeedbackSchema>;
    const recorded = await repo.addFeedback(id, rating, note);
    if (!recorded) throw new HttpError(404, "not_found", `no interaction ${id}`);
    return { document_ids: recorded.documentIds };
  });
}
