import type { KernelApp } from "../../shared/http/buildKernel.js";
import { gapsQuerySchema as query, gapsResponseSchema, type GapsQuery } from "../api/gapsContract.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { withStore } from "./withStore.js";

/** GET /gaps?days=7&limit=10: the most repeated weak-retrieval questions. */
export async function gapsRoute(app: KernelApp, { runtime: rt }: { runtime: CoordinatorRuntime }) {
  app.get("/gaps", { schema: { querystring: query, response: { 200: gapsResponseSchema } } }, async (request) => {
    const q = request.query as GapsQuery;
    return { days: q.days, threshold: rt.config.gapScoreThreshold, gaps: await withStore(() => rt.store.topGaps({ days: q.days, limit: q.limit })) };
  });
}
