import { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import { queryInt } from "../../shared/http/queryFields.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { withStore } from "./withStore.js";

const query = z.object({ days: queryInt(1, 3650).default(7), limit: queryInt(1, 1000).default(10) });

/** GET /gaps?days=7&limit=10: the most repeated weak-retrieval questions. */
export async function gapsRoute(app: KernelApp, { runtime: rt }: { runtime: CoordinatorRuntime }) {
  app.get("/gaps", { schema: { querystring: query } }, async (request) => {
    const q = request.query as z.infer<typeof query>;
    return { days: q.days, threshold: rt.config.gapScoreThreshold, gaps: await withStore(() => rt.store.topGaps({ days: q.days, limit: q.limit })) };
  });
}
