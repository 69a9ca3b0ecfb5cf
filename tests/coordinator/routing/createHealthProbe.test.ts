import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHealthProbe } from "../../../services/coordinator/routing/createHealthProbe.js";

const servers: Server[] = [];

/** A loopback stand-in for the inference service; counts requests per path. */
async function fakeInference(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const hits: Record<string, number> = {};
  const server = createServer((req, res) => {
    hits[req.url ?? ""] = (hits[req.url ?? ""] ?? 0) + 1;
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

function json(res: ServerResponse, body: unknown, status = 200) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function inference(status: Record<string, unknown>, healthCode = 200) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === "/health") return json(res, { status: "ok" }, healthCode);
    if (req.url === "/status") return json(res, status);
    json(res, { error: "not found" }, 404);
  };
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

describe("createHealthProbe", () => {
  it("reports a loaded model as healthy, with the queue", async () => {
    const { baseUrl, hits } = await fakeInference(inference({ loading: false, healthy: true, queue_depth: 2, queue_limit: 8, error: null }));
    const r = await createHealthProbe({ baseUrl }).check();
    expect(r).toMatchObject({ healthy: true, loading: false, queueDepth: 2, queueLimit: 8 });
    expect(r.error).toBeUndefined();
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(hits).toEqual({ "/health": 1, "/status": 1 });
  });

  it("reads the model's name and whether it can call functions: the capabilities, else function_calling, else nothing", async () => {
    const probe = async (status: Record<string, unknown>) => createHealthProbe({ baseUrl: (await fakeInference(inference({ loading: false, healthy: true, ...status }))).baseUrl }).check();
    expect(await probe({ model_name: "qwen", function_calling: true, capabilities: { structuredOutput: true, toolCalling: false } })).toMatchObject({ modelName: "qwen", functionCalling: false });
    expect(await probe({ model_name: "qwen", function_calling: false })).toMatchObject({ functionCalling: false });
    expect(await probe({ function_calling: true })).toMatchObject({ functionCalling: true });
    const unknown = await probe({});
    expect(unknown.functionCalling).toBeUndefined();
    expect(unknown.modelName).toBeUndefined();
  });

  it("reports a model still being downloaded: not healthy, downloading, with the progress", async () => {
    const { baseUrl } = await fakeInference(inference({ loading: false, downloading: true, healthy: false, load_progress_pct: 42, error: null, model_sha256: null, model_name: null }));
    const r = await createHealthProbe({ baseUrl }).check();
    expect(r).toMatchObject({ healthy: false, loading: false, downloading: true, loadProgressPct: 42, error: "model downloading (42%)" });
    expect(r.modelId).toBeUndefined();
  });

  it("passes on the model's identity (sha256, else name) and its structured-output capability", async () => {
    const sha = "a".repeat(64);
    const withSha = await fakeInference(inference({ loading: false, healthy: true, model_sha256: sha, model_name: "demo", capabilities: { structuredOutput: false, toolCalling: true } }));
    expect(await createHealthProbe({ baseUrl: withSha.baseUrl }).check()).toMatchObject({ downloading: false, modelId: sha, structuredOutput: false });
    const nameOnly = await fakeInference(inference({ loading: false, healthy: true, model_name: "demo.gguf" }));
    const r = await createHealthProbe({ baseUrl: nameOnly.baseUrl }).check();
    expect(r.modelId).toBe("demo.gguf");
    expect(r.structuredOutput).toBeUndefined();
  });

  it("reports a loading model as reachable and loading (inference says healthy: false while loading)", async () => {
    const { baseUrl } = await fakeInference(inference({ loading: true, healthy: false, queue_depth: 0, queue_limit: 8 }));
    const r = await createHealthProbe({ baseUrl }).check();
    expect(r).toMatchObject({ healthy: true, loading: true, queueDepth: 0, queueLimit: 8 });
  });

  it("reports a model that failed to load as unhealthy, with its error", async () => {
    const { baseUrl } = await fakeInference(inference({ loading: false, healthy: false, error: "bad magic" }));
    const r = await createHealthProbe({ baseUrl }).check();
    expect(r).toMatchObject({ healthy: false, loading: false, error: "model unhealthy: bad magic" });
  });

  it("a failing /health is unhealthy", async () => {
    const { baseUrl } = await fakeInference(inference({ loading: false, healthy: true }, 503));
    const r = await createHealthProbe({ baseUrl }).check();
    expect(r).toMatchObject({ healthy: false, error: "/health answered 503" });
  });

  it("a server without /status is unhealthy", async () => {
    const { baseUrl } = await fakeInference((req, res) => (req.url === "/health" ? json(res, { status: "ok" }) : json(res, {}, 404)));
    const r = await createHealthProbe({ baseUrl }).check();
    expect(r).toMatchObject({ healthy: false, error: "/status answered 404" });
  });

  it("a slow server is unhealthy within about the timeout", async () => {
    const { baseUrl } = await fakeInference((req, res) => {
      setTimeout(() => inference({ healthy: true })(req, res), 2000);
    });
    const started = performance.now();
    const r = await createHealthProbe({ baseUrl, timeoutMs: 100 }).check();
    const elapsed = performance.now() - started;
    expect(r).toMatchObject({ healthy: false, loading: false, error: "timeout after 100 ms" });
    expect(elapsed).toBeLessThan(1000);
    expect(elapsed).toBeGreaterThanOrEqual(90);
  });

  it("a refused connection is unhealthy, quickly, and says so", async () => {
    const { baseUrl } = await fakeInference(inference({ healthy: true }));
    const s = servers.pop()!;
    await new Promise((resolve) => s.close(resolve));
    const started = performance.now();
    const r = await createHealthProbe({ baseUrl }).check();
    expect(performance.now() - started).toBeLessThan(500);
    expect(r).toMatchObject({ healthy: false, loading: false, error: "ECONNREFUSED" });
  });

  it("reuses a result for cacheMs, then probes again", async () => {
    let loading = true;
    const { baseUrl, hits } = await fakeInference((req, res) => inference({ loading, healthy: !loading })(req, res));
    const probe = createHealthProbe({ baseUrl, cacheMs: 150 });
    expect((await probe.check()).loading).toBe(true);
    loading = false;
    expect((await probe.check()).loading).toBe(true);
    expect(hits["/status"]).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect((await probe.check()).loading).toBe(false);
    expect(hits["/status"]).toBe(2);
  });

  it("concurrent callers share one in-flight probe", async () => {
    const { baseUrl, hits } = await fakeInference((req, res) => {
      setTimeout(() => inference({ healthy: true, queue_depth: 1 })(req, res), 50);
    });
    const probe = createHealthProbe({ baseUrl, cacheMs: 0 });
    const results = await Promise.all(Array.from({ length: 10 }, () => probe.check()));
    expect(new Set(results).size).toBe(1);
    expect(hits).toEqual({ "/health": 1, "/status": 1 });
  });

  it("caches failures too, so a dead backend is not hammered", async () => {
    const { baseUrl, hits } = await fakeInference(inference({}, 500));
    const probe = createHealthProbe({ baseUrl, cacheMs: 1000 });
    await probe.check();
    await probe.check();
    expect((await probe.check()).healthy).toBe(false);
    expect(hits["/health"]).toBe(1);
  });
});
