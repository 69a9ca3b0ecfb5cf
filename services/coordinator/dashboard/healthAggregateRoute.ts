import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { createHealthAggregator, type DatabaseCheck } from "./aggregateHealth.js";

/**
 * GET /api/health/aggregate: every dependency's check (cached 2 s);
 * GET /api/health/probe: the same, checked now. Always 200: the status is in
 * the body (overall_status), so the dashboard can show a down service.
 */
export async function healthAggregateRoute(app: KernelApp, { runtime, database }: { runtime: CoordinatorRuntime; database: DatabaseCheck }) {
  const aggregator = createHealthAggregator(runtime, database);
  // The dashboard polls these every 2 s: keep their request lines out of the info log.
  app.get("/api/health/aggregate", { logLevel: "warn" }, async (_request, reply) => {
    reply.header("cache-control", "no-store");
    return aggregator.get();
  });
  app.get("/api/health/probe", { logLevel: "warn" }, async (_request, reply) => {
    reply.header("cache-control", "no-store");
    return aggregator.probe();
  });
}
