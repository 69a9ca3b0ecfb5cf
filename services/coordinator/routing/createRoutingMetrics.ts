import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { RollingQuantile } from "./RollingQuantile.js";
import type { BackendDecision } from "./selectLlmBackend.js";

export type Backend = BackendDecision["backend"];

export interface RoutingMetrics {
  /** Counts one selection: `hybrid_llm_backend_selections_total` and `hybrid_route_decisions_total`. */
  recordDecision(decision: Pick<BackendDecision, "backend" | "action" | "reason">): void;
  /** One generation's latency on a backend, in seconds. */
  observeLatency(backend: Backend, seconds: number): void;
  /** The rolling one-hour p95 in seconds; undefined with no samples in the window. */
  p95Seconds(backend: Backend): number | undefined;
}

const backends: Backend[] = ["local", "remote"];

/**
 * The router's metrics on the app's registry. The p95 gauge is computed at
 * scrape time from a rolling one-hour window kept in per-minute buckets.
 */
export function createRoutingMetrics(opts: { registry: Registry; now?: () => number }): RoutingMetrics {
  const registers = [opts.registry];
  const selections = new Counter({
    name: "hybrid_llm_backend_selections_total",
    help: "Backend selections by backend and reason",
    labelNames: ["backend", "reason"] as const,
    registers,
  });
  const decisions = new Counter({
    name: "hybrid_route_decisions_total",
    help: "Routing decisions by backend and action (generate, queue, or unavailable: no backend can answer)",
    labelNames: ["backend", "action"] as const,
    registers,
  });
  const latency = new Histogram({
    name: "routing_backend_latency_seconds",
    help: "Generation latency per backend",
    labelNames: ["backend"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const windows = new Map(backends.map((b) => [b, new RollingQuantile({ now: opts.now })]));
  new Gauge({
    name: "routing_latency_p95_seconds",
    help: "p95 generation latency per backend over the last hour",
    labelNames: ["backend"] as const,
    registers,
    collect() {
      this.reset();
      for (const b of backends) {
        const p95 = windows.get(b)!.quantile(0.95);
        if (p95 !== undefined) this.set({ backend: b }, p95);
      }
    },
  });

  return {
    recordDecision(d) {
      selections.inc({ backend: d.backend, reason: d.reason });
      decisions.inc({ backend: d.backend, action: d.action });
    },
    observeLatency(backend, seconds) {
      latency.observe({ backend }, seconds);
      windows.get(backend)!.observe(seconds);
    },
    p95Seconds: (backend) => windows.get(backend)!.quantile(0.95),
  };
}
