import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { createInternals } from "./createInternals.js";

/** GET /api/internals: cache hit rates, routing decisions, compression and tokens/s (see createInternals). */
export async function internalsRoute(app: KernelApp, { runtime }: { runtime: CoordinatorRuntime }) {
  const internals = createInternals(runtime);
  app.addHook("onClose", async () => internals.close());
  app.get("/api/internals", { logLevel: "warn" }, async (_request, reply) => {
    reply.header("cache-control", "no-store");
    return internals.read();
  });
}
