import { z } from "zod";
import { queryInt } from "../../shared/http/queryFields.js";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { LogRing } from "./createLogRing.js";

const query = z.object({
  since: queryInt(0, Number.MAX_SAFE_INTEGER).default(0),
  limit: queryInt(1, 500).default(500),
});

/**
 * GET /logs/recent?since=<id>&limit=<n>: the log lines with an id above
 * `since`, oldest first, and `last_id` to pass as the next `since`. The
 * lines are those the logger wrote (secrets already redacted).
 */
export async function logsRoute(app: KernelApp, { logRing }: { logRing: LogRing }) {
  app.get("/logs/recent", { schema: { querystring: query }, logLevel: "warn" }, async (request, reply) => {
    const q = request.query as z.infer<typeof query>;
    reply.header("cache-control", "no-store");
    return logRing.since(q.since, q.limit);
  });
}
