import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../helpers/startInferenceApp.js";
import { getJson, ingest, post, startCoordinatorStack, type CoordinatorStack } from "../helpers/startCoordinatorStack.js";

// The full stack in-process with a second inference instance as the remote.
// Synthetic embeddings make retrieval scores arbitrary, so the quality rule
// is driven through the threshold (0 = always good enough, 1 = never).
describe("coordinator routing", () => {
  let s: CoordinatorStack;
  const query = (body: Record<string, unknown>) => post(`${s.url}/query`, { query: "how do flakes pin inputs?", project: "nix", ...body });
  const selections = async () => (await (await fetch(`${s.url}/metrics`)).text()).split("\n").filter((l) => l.startsWith("hybrid_llm_backend_selections_total"));

  beforeAll(async () => {
    s = await startCoordinatorStack({ remote: true, routing: { local_confidence_threshold: 0, remote_circuit: { failures: 3, cooldown_ms: 600_000 } } });
    await ingest(s.aidb.url, [{ project: "nix", title: "Flakes", text: "A flake pins its inputs in flake.lock. Inputs can follow other inputs." }]);
  }, 120_000);
  afterAll(async () => s?.close());

  it("answers locally when the context is good enough, with every stage timed", async () => {
    const r = await query({});
    expect(r.status).toBe(200);
    expect(r.body.backend).toBe("local");
    expect(r.body.routing).toMatchObject({ reason: "context_quality_ok", threshold: 0 });
    expect(r.body.response.length).toBeGreaterThan(0);
    expect(r.body.interaction_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(r.body.timings).sort()).toEqual(
      ["cache_ms", "compress_ms", "expand_ms", "generate_ms", "rerank_ms", "retrieve_ms", "sanitize_ms", "total_ms"].sort(),
    );
    expect(r.body.timings.total_ms).toBeGreaterThanOrEqual(r.body.timings.generate_ms);
    expect(r.body.context.sources[0]).toMatchObject({ title: "Flakes" });
    expect(r.body.context.rerank).toEqual({ applied: false, reason: "no reranker configured (rerankUrl)" });
    expect(r.body.cache).toEqual({ hit: false, variant: "A" });
    const logged = s.logs.lines().find((l) => l.event === "llm_backend_selected" && l.interaction_id === r.body.interaction_id);
    expect(logged).toMatchObject({ backend: "local", reason: "context_quality_ok" });
    expect(typeof logged!.local_confidence_score).toBe("number");
    expect(await selections()).toContainEqual(expect.stringContaining('backend="local",reason="context_quality_ok"'));
  });

  it("force_remote and force_local win", async () => {
    const remote = await query({ force_remote: true });
    expect(remote.body).toMatchObject({ backend: "remote", routing: { reason: "force_remote" } });
    const local = await query({ force_local: true });
    expect(local.body).toMatchObject({ backend: "local", routing: { reason: "force_local" } });
  });

  it("prefer_local keeps a query local", async () => {
    s.writeRouting({ local_confidence_threshold: 1, remote_circuit: { failures: 3, cooldown_ms: 600_000 } });
    await waitFor(async () => (await getJson(`${s.url}/status`)).threshold === 1, 10_000, "threshold 1");
    expect((await query({ prefer_local: true })).body).toMatchObject({ backend: "local", routing: { reason: "prefer_local" } });
  });

  it("a changed threshold applies without a restart; an invalid file keeps the last good value", async () => {
    s.writeRouting({ local_confidence_threshold: 1, remote_circuit: { failures: 3, cooldown_ms: 600_000 } });
    await waitFor(async () => (await getJson(`${s.url}/status`)).threshold === 1, 10_000, "threshold 1");
    const low = await query({});
    expect(low.body.backend).toBe("remote");
    expect(low.body.routing.reason).toBe("context_quality_below_threshold_1.000");
    expect(low.body.routing.local_confidence_score).toBeLessThan(1);

    s.writeRouting('{"local_confidence_threshold": 7}');
    await waitFor(() => s.logs.lines().find((l) => l.event === "routing_config_invalid"), 10_000, "invalid config logged");
    const logged = s.logs.lines().find((l) => l.event === "routing_config_invalid")!;
    expect(logged.field).toBe("local_confidence_threshold");
    expect((await getJson(`${s.url}/status`)).threshold).toBe(1);
    expect((await query({})).body.backend).toBe("remote");

    s.writeRouting({ local_confidence_threshold: 0, remote_circuit: { failures: 3, cooldown_ms: 600_000 } });
    await waitFor(async () => (await getJson(`${s.url}/status`)).threshold === 0, 10_000, "threshold 0");
    expect((await query({})).body.backend).toBe("local");
  });

  it("structured output the local model cannot do goes remote with routing_override", async () => {
    // The capability comes from config; flip it on the running runtime.
    const config = s.coordinator.runtime.config;
    config.localStructuredOutput = false;
    try {
      const r = await query({ response_format: { type: "json_object" } });
      expect(r.status).toBe(200);
      expect(r.body.backend).toBe("remote");
      expect(r.body.routing).toMatchObject({ reason: "structured_output_required", routing_override: "structured_output_required" });
    } finally {
      config.localStructuredOutput = true;
    }
    // A local model that can: stays local.
    expect((await query({ response_format: { type: "json_object" } })).body.backend).toBe("local");
  });

  it("/status reports both backends", async () => {
    const st = await getJson(`${s.url}/status`);
    expect(st).toMatchObject({ loading: false, healthy: true, queue_depth: 0, threshold: 0 });
    expect(st.backends.local).toMatchObject({ healthy: true, loading: false });
    expect(st.backends.local.p95_ms).toBeGreaterThan(0);
    expect(st.backends.remote).toMatchObject({ configured: true, healthy: true, circuit: "closed" });
    expect(st.backends.remote.p95_ms).toBeGreaterThan(0);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/routing_latency_p95_seconds\{backend="local"[^}]*\} [0-9.e-]+/);
    expect(metrics).toMatch(/routing_backend_latency_seconds_count\{[^}]*backend="remote"/);
  });

  it("the remote failing three times opens its circuit; queries then stay local", async () => {
    s.writeRouting({ local_confidence_threshold: 1, remote_circuit: { failures: 3, cooldown_ms: 600_000 } });
    await waitFor(async () => (await getJson(`${s.url}/status`)).threshold === 1, 10_000, "threshold 1");
    await s.remote!.close();
    for (let i = 0; i < 3; i++) {
      const r = await query({});
      expect(r.status).toBe(200);
      expect(r.body.backend).toBe("local");
      expect(r.body.routing.fallback_reason).toBe("remote_failed");
    }
    const st = await getJson(`${s.url}/status`);
    expect(st.backends.remote).toMatchObject({ circuit: "open", healthy: false });
    const after = await query({});
    expect(after.body).toMatchObject({ backend: "local", routing: { reason: "remote_circuit_open" } });
    expect(after.body.routing.fallback_reason).toBeUndefined();
    expect(await selections()).toContainEqual(expect.stringContaining('backend="local",reason="remote_circuit_open"'));
  });
});

describe("coordinator routing without a healthy local backend", () => {
  let s: CoordinatorStack;
  beforeAll(async () => {
    s = await startCoordinatorStack({ remote: true, routing: { local_confidence_threshold: 0 } });
  }, 120_000);
  afterAll(async () => s?.close());

  it("the local backend stopped: the next query goes remote with fallback_reason local_unhealthy", async () => {
    expect((await post(`${s.url}/query`, { query: "what is a derivation?" })).body.backend).toBe("local");
    await s.local.close();
    const r = await post(`${s.url}/query`, { query: "what is a derivation?" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ backend: "remote", routing: { reason: "local_unhealthy", fallback_reason: "local_unhealthy" } });
    const st = await getJson(`${s.url}/status`);
    expect(st.backends.local.healthy).toBe(false);
    expect(st.backends.local.error).toBeTruthy();
    expect(st.healthy).toBe(true); // the remote still answers
    // force_local with the local backend down is an honest error, not a hang.
    const forced = await post(`${s.url}/query`, { query: "what is a derivation?", force_local: true });
    expect(forced.status).toBe(502);
    expect(forced.body.message).toMatch(/local inference/);
  });
});

describe("coordinator routing with no remote configured", () => {
  let s: CoordinatorStack;
  beforeAll(async () => {
    s = await startCoordinatorStack({ routing: { local_confidence_threshold: 1 } });
  }, 120_000);
  afterAll(async () => s?.close());

  it("stays local and says why, also for force_remote", async () => {
    expect((await post(`${s.url}/query`, { query: "what is a module?" })).body).toMatchObject({ backend: "local", routing: { reason: "remote_not_configured" } });
    expect((await post(`${s.url}/query`, { query: "what is a module?", force_remote: true })).body).toMatchObject({
      backend: "local",
      routing: { reason: "force_remote_but_remote_not_configured" },
    });
    expect((await getJson(`${s.url}/status`)).backends.remote).toMatchObject({ configured: false, healthy: false });
  });
});
