import type { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import { HttpError } from "../../shared/http/HttpError.js";
import { feedbackParamsSchema as params, feedbackRequestSchema as body, feedbackResponseSchema } from "../api/feedbackContract.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { withStore } from "./withStore.js";

/**
 * POST /feedback/:interaction_id {rating: 1|-1, note?}: records the rating
 * and links it to the documents the answer used, through aidb's feedback
 * endpoint (so good answers lift their sources in later searches).
 */
export async function feedbackRoute(app: KernelApp, { runtime: rt }: { runtime: CoordinatorRuntime }) {
  app.post("/feedback/:interaction_id", { schema: { params, body, response: { 200: feedbackResponseSchema } } }, async (request) => {
    const { interaction_id: id } = request.params as z.infer<typeof params>;
    const { rating, note } = request.body as z.infer<typeof body>;
    // The interaction row is written after its answer is sent.
    await rt.pendingRecords.get(id)?.catch(() => undefined);
    const recorded = await withStore(() => rt.store.addFeedback(id, rating, note));
    if (!recorded) throw new HttpError(404, "not_found", `no interaction ${id}`);
    let linked = 0;
    let aidbError: string | undefined;
    for (const documentId of recorded.documentIds) {
      try {
        if (await rt.aidb.documentFeedback(documentId, rating)) linked += 1;
      } catch (err) {
        aidbError = (err as Error).message;
        break;
      }
    }
    if (aidbError) request.log.warn({ event: "feedback_link_failed", interaction_id: id, error: aidbError }, "rating recorded; linking it to documents failed");
    request.log.info({ event: "feedback_recorded", interaction_id: id, rating, documents_linked: linked }, "feedback recorded");
    return {
      recorded: true,
      interaction_id: id,
      rating,
      documents: recorded.documentIds.length,
      documents_linked: linked,
      ...(aidbError && { aidb_error: aidbError }),
    };
  });
}
