import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { buildKernel, type KernelApp } from "../../services/shared/http/buildKernel.js";
import { HttpError } from "../../services/shared/http/HttpError.js";
import { captureLogger } from "../helpers/captureLogger.js";

let app: KernelApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function build(readiness?: Parameters<typeof buildKernel>[0]["readiness"]) {
  const cap = captureLogger("kernel-test");
  app = buildKernel({ service: "test", logger: cap.logger, readiness, bodyLimit: 1024 });
  app.post(
    "/echo",
    { schema: { body: z.object({ name: z.string().min(1), items: z.array(z.object({ n: z.number().int() })).optional() }) } },
    async (request) => request.body,
  );
  app.get("/boom", async () => {
    throw new Error("secret internal detail: password=hunter2");
  });
  app.get("/teapot", async () => {
    throw new HttpError(418, "teapot", "short and stout", { spout: true }, { "retry-after": "3" });
  });
  // The same handlers under /v1/, where errors take OpenAI's shape.
  app.post("/v1/echo", { schema: { body: z.object({ name: z.string().min(1), items: z.array(z.object({ n: z.number().int() })).optional() }) } }, async (r) => r.body);
  app.get("/v1/teapot", async () => {
    throw new HttpError(429, "slow_down", "too many requests", { limit: 3 }, { "retry-after": "3" });
  });
  app.get("/v1/boom", async () => {
    throw new Error("secret internal detail: password=hunter2");
  });
  app.post("/log-secret", async (request) => {
    request.log.info({ headers: request.headers, apiKey: "sk-should-not-appear" }, "got headers");
    return { ok: true };
  });
  return { app, cap };
}

describe("HTTP kernel", () => {
  it("serves /health, /ready and /metrics", async () => {
    const { app } = build();
    expect((await app.inject({ url: "/health" })).json()).toMatchObject({ status: "ok", service: "test" });
    expect((await app.inject({ url: "/ready" })).statusCode).toBe(200);
    await app.inject({ url: "/health" });
    const metrics = await app.inject({ url: "/metrics" });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers["content-type"]).toContain("text/plain");
    expect(metrics.body).toContain("process_resident_memory_bytes");
    expect(metrics.body).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/health"[^}]*status_code="200"/);
  });

  it("reports 503 from /ready while a dependency is down, 200 when only degraded", async () => {
    const { app } = build(() => ({ db: { ok: false, detail: "connection refused" } }));
    const r = await app.inject({ url: "/ready" });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ ready: false, checks: { db: { ok: false, detail: "connection refused" } } });
    await app.close();
    const second = build(() => ({ cache: { ok: false, degraded: true, detail: "redis down" } }));
    const d = await second.app.inject({ url: "/ready" });
    expect(d.statusCode).toBe(200);
    expect(d.json()).toMatchObject({ ready: true, degraded: true });
  });

  it("echoes a given x-request-id and generates one otherwise, and logs it", async () => {
    const { app, cap } = build();
    const given = await app.inject({ url: "/health", headers: { "x-request-id": "abc-123" } });
    expect(given.headers["x-request-id"]).toBe("abc-123");
    const generated = await app.inject({ url: "/health" });
    expect(generated.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await app.inject({ url: "/health", headers: { "x-request-id": "bad id\nwith newline" } });
    expect(hostile.headers["x-request-id"]).not.toContain("bad id");
    expect(cap.lines().some((l) => l.request_id === "abc-123")).toBe(true);
  });

  it("turns validation errors into 400 naming every field", async () => {
    const { app } = build();
    const r = await app.inject({ method: "POST", url: "/echo", payload: { name: "", items: [{ n: 1.5 }] } });
    expect(r.statusCode).toBe(400);
    const body = r.json();
    expect(body.error).toBe("validation_error");
    expect(body.fields.map((f: { path: string }) => f.path).sort()).toEqual(["body.items[0].n", "body.name"]);
    expect(body.message).toContain("body.name");
  });

  it("answers malformed JSON and oversized bodies with a 4xx", async () => {
    const { app } = build();
    const bad = await app.inject({ method: "POST", url: "/echo", headers: { "content-type": "application/json" }, payload: "{oops" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe("invalid_json");
    const big = await app.inject({ method: "POST", url: "/echo", payload: { name: "x".repeat(5000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json().error).toBe("body_too_large");
  });

  it("hides the internals of a 5xx and keeps them in the log", async () => {
    const { app, cap } = build();
    const r = await app.inject({ url: "/boom" });
    expect(r.statusCode).toBe(500);
    expect(r.body).not.toContain("hunter2");
    expect(r.json()).toEqual({ error: "internal_error", message: "internal server error" });
    expect(cap.text()).toContain("secret internal detail");
  });

  it("passes HttpError code, details and headers through", async () => {
    const { app } = build();
    const r = await app.inject({ url: "/teapot" });
    expect(r.statusCode).toBe(418);
    expect(r.headers["retry-after"]).toBe("3");
    expect(r.json()).toEqual({ error: "teapot", message: "short and stout", spout: true });
  });

  it("answers errors under /v1/ in OpenAI's shape, keeping the fields, details and headers; other routes keep theirs", async () => {
    const { app } = build();
    const invalid = await app.inject({ method: "POST", url: "/v1/echo", payload: { name: "", items: [{ n: 1.5 }] } });
    expect(invalid.statusCode).toBe(400);
    const { error } = invalid.json();
    expect(error).toMatchObject({ type: "invalid_request_error", code: "validation_error", param: "name" });
    expect(error.message).toContain("body.items[0].n");
    expect(error.fields.map((f: { path: string }) => f.path).sort()).toEqual(["body.items[0].n", "body.name"]);
    const limited = await app.inject({ url: "/v1/teapot" });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("3");
    expect(limited.json()).toEqual({ error: { message: "too many requests", type: "rate_limit_error", param: null, code: "slow_down", limit: 3 } });
    const boom = await app.inject({ url: "/v1/boom" });
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toContain("hunter2");
    expect(boom.json()).toEqual({ error: { message: "internal server error", type: "server_error", param: null, code: "internal_error" } });
    const bad = await app.inject({ method: "POST", url: "/v1/echo", headers: { "content-type": "application/json" }, payload: "{oops" });
    expect(bad.json().error).toMatchObject({ type: "invalid_request_error", code: "invalid_json" });

    const missing = await app.inject({ url: "/v1/nothing-here" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ type: "invalid_request_error", code: "not_found", message: "Route GET:/v1/nothing-here not found" });
    const elsewhere = await app.inject({ url: "/nothing-here" });
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.json()).toEqual({ message: "Route GET:/nothing-here not found", error: "Not Found", statusCode: 404 });
  });

  it("redacts authorization headers and keys from logs", async () => {
    const { app, cap } = build();
    await app.inject({ method: "POST", url: "/log-secret", headers: { authorization: "Bearer sk-live-123", "x-api-key": "k-456" }, payload: {} });
    const text = cap.text();
    expect(text).toContain("got headers");
    expect(text).not.toContain("sk-live-123");
    expect(text).not.toContain("k-456");
    expect(text).not.toContain("sk-should-not-appear");
    expect(text).toContain("[REDACTED]");
  });
});
