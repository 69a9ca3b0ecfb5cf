import type { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { AidbRuntime } from "../AidbRuntime.js";
import { dlqDropSchema, dlqQuerySchema, dlqRetrySchema } from "../api/ingestJobsContract.js";
import { retryDeadLetters } from "../ingest/retryDeadLetters.js";

/** The dead-letter queue: GET /dlq, POST /dlq/retry, POST /dlq/drop (`aq dlq list|retry|drop`). */
export async function dlqRoute(app: KernelApp, { runtime }: { runtime: AidbRuntime }) {
  app.get("/dlq", { schema: { querystring: dlqQuerySchema } }, async (request) => {
    return runtime.deadLetters.list(request.query as z.infer<typeof dlqQuerySchema>);
  });

  app.post("/dlq/retry", { schema: { body: dlqRetrySchema } }, async (request) => {
    const body = request.body as z.infer<typeof dlqRetrySchema>;
    return retryDeadLetters({ ...runtime, logger: request.log as never }, { ids: body.ids, limit: body.limit });
  });

  app.post("/dlq/drop", { schema: { body: dlqDropSchema } }, async (request) => {
    const body = request.body as z.infer<typeof dlqDropSchema>;
    const dropped = body.all ? await runtime.deadLetters.removeAll() : await runtime.deadLetters.remove(body.ids!);
    request.log.info({ event: "dead_letters_dropped", dropped }, "dead letters dropped");
    return { dropped };
  });
}
