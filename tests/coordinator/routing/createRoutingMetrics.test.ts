import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createRoutingMetrics } from "../../../services/coordinator/routing/createRoutingMetrics.js";
import { RollingQuantile } from "../../../services/coordinator/routing/RollingQuantile.js";

const MIN = 60_000;

function setup() {
  let t = 1_700_000_000_000;
  const registry = new Registry();
  const metrics = createRoutingMetrics({ registry, now: () => t });
  return { registry, metrics, advance: (ms: number) => void (t += ms) };
}

/** The value of one series in the Prometheus text, or undefined when absent. */
async function sample(registry: Registry, name: string, labels: string): Promise<number | undefined> {
  const text = await registry.metrics();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(" ").pop());
}

describe("createRoutingMetrics", () => {
  it("counts selections by backend and reason, and decisions by backend and action", async () => {
    const { registry, metrics } = setup();
    metrics.recordDecision({ backend: "remote", action: "generate", reason: "context_quality_below_threshold_0.990" });
    metrics.recordDecision({ backend: "remote", action: "generate", reason: "context_quality_below_threshold_0.990" });
    metrics.recordDecision({ backend: "local", action: "queue", reason: "local_loading_queued" });
    expect(await sample(registry, "hybrid_llm_backend_selections_total", 'backend="remote",reason="context_quality_below_threshold_0.990"')).toBe(2);
    expect(await sample(registry, "hybrid_llm_backend_selections_total", 'backend="local",reason="local_loading_queued"')).toBe(1);
    expect(await sample(registry, "hybrid_route_decisions_total", 'backend="remote",action="generate"')).toBe(2);
    expect(await sample(registry, "hybrid_route_decisions_total", 'backend="local",action="queue"')).toBe(1);
    expect(await sample(registry, "hybrid_route_decisions_total", 'backend="local",action="generate"')).toBeUndefined();
  });

  it("observes latency in a histogram per backend", async () => {
    const { registry, metrics } = setup();
    metrics.observeLatency("local", 0.3);
    metrics.observeLatency("local", 2);
    metrics.observeLatency("remote", 0.07);
    expect(await sample(registry, "routing_backend_latency_seconds_count", 'backend="local"')).toBe(2);
    expect(await sample(registry, "routing_backend_latency_seconds_sum", 'backend="local"')).toBeCloseTo(2.3);
    expect(await sample(registry, "routing_backend_latency_seconds_bucket", 'le="0.5",backend="local"')).toBe(1);
    expect(await sample(registry, "routing_backend_latency_seconds_count", 'backend="remote"')).toBe(1);
  });

  it("exports the p95 per backend, within 5 %", async () => {
    const { registry, metrics } = setup();
    for (let ms = 1; ms <= 1000; ms++) metrics.observeLatency("local", ms / 1000);
    for (let i = 0; i < 100; i++) metrics.observeLatency("remote", i < 90 ? 0.2 : 3);
    const local = await sample(registry, "routing_latency_p95_seconds", 'backend="local"');
    expect(local).toBeGreaterThanOrEqual(0.95 * 0.95);
    expect(local).toBeLessThanOrEqual(0.95 * 1.05);
    expect(metrics.p95Seconds("remote")).toBeGreaterThan(2.8);
    expect(metrics.p95Seconds("remote")).toBeLessThan(3.2);
  });

  it("has no p95 series for a backend without samples", async () => {
    const { registry, metrics } = setup();
    metrics.observeLatency("local", 1);
    expect(await sample(registry, "routing_latency_p95_seconds", 'backend="remote"')).toBeUndefined();
    expect(metrics.p95Seconds("remote")).toBeUndefined();
  });

  it("forgets samples older than an hour", async () => {
    const { registry, metrics, advance } = setup();
    for (let i = 0; i < 100; i++) metrics.observeLatency("remote", 10);
    advance(30 * MIN);
    for (let i = 0; i < 100; i++) metrics.observeLatency("remote", 1);
    // both halves in the window: the slow hour-old half dominates the p95
    expect(metrics.p95Seconds("remote")).toBeGreaterThan(9);
    advance(29 * MIN);
    expect(metrics.p95Seconds("remote")).toBeGreaterThan(9);
    advance(2 * MIN);
    const p95 = await sample(registry, "routing_latency_p95_seconds", 'backend="remote"');
    expect(p95).toBeGreaterThan(0.95);
    expect(p95).toBeLessThan(1.06);
    advance(31 * MIN);
    expect(await sample(registry, "routing_latency_p95_seconds", 'backend="remote"')).toBeUndefined();
  });
});

describe("RollingQuantile", () => {
  it("stays correct and fast over many values and a long time (bounded buckets)", () => {
    let t = 0;
    const q = new RollingQuantile({ now: () => t });
    for (let i = 0; i < 200_000; i++) {
      t += 36; // two hours in all
      q.observe(t < 3_600_000 ? 100 : (i % 100) / 100 + 0.01);
    }
    const p95 = q.quantile(0.95)!;
    expect(p95).toBeGreaterThanOrEqual(0.95);
    expect(p95).toBeLessThanOrEqual(0.96 * 1.05);
    expect(q.quantile(0)).toBeLessThan(0.011);
  });

  it("ignores values that are not latencies", () => {
    const q = new RollingQuantile({ now: () => 0 });
    q.observe(Number.NaN);
    q.observe(-1);
    q.observe(Number.POSITIVE_INFINITY);
    expect(q.quantile(0.95)).toBeUndefined();
    q.observe(0);
    expect(q.quantile(0.95)).toBeLessThan(0.001);
  });
});
