import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { buildKernel, type KernelApp } from "../../services/shared/http/buildKernel.js";
import { createServiceClient } from "../../services/shared/http/createServiceClient.js";
import { HttpError } from "../../services/shared/http/HttpError.js";
import { ServiceError } from "../../services/shared/http/ServiceError.js";
import { captureLogger } from "../helpers/captureLogger.js";
import { freePort } from "../helpers/startRedis.js";

// Two real kernels on loopback: "front" calls "back" through a service
// client while serving a request, as the coordinator calls aidb.
describe("createServiceClient", () => {
  let back: KernelApp;
  let front: KernelApp;
  let backUrl: string;
  let frontUrl: string;
  const seen: Array<string | undefined> = [];

  beforeAll(async () => {
    back = buildKernel({ service: "back", logger: captureLogger("back").logger });
    back.get("/echo", async (request) => {
      seen.push(request.headers["x-request-id"] as string | undefined);
      return { q: (request.query as Record<string, string>).q ?? null, id: request.id };
    });
    back.post("/items", { schema: { body: z.strictObject({ name: z.string().min(1) }) } }, async (request) => ({ created: (request.body as { name: string }).name }));
    back.get("/missing", async () => {
      throw new HttpError(404, "not_found", "no such thing");
    });
    back.get("/openai-error", async (_request, reply) => reply.code(429).send({ error: { message: "slow down", type: "rate_limit", code: "rate_limited" } }));
    back.get("/wrong-shape", async () => ({ unexpected: true }));
    back.get("/slow", async () => {
      await new Promise((r) => setTimeout(r, 2000));
      return { late: true };
    });
    await back.listen({ host: "127.0.0.1", port: 0 });
    backUrl = `http://127.0.0.1:${(back.server.address() as { port: number }).port}/`;

    const client = createServiceClient({ service: "back", baseUrl: backUrl, timeoutMs: 5000 });
    front = buildKernel({ service: "front", logger: captureLogger("front").logger });
    front.post("/relay", { schema: { body: z.object({ q: z.string() }) } }, async (request) => {
      // Two awaits deep, the request's context must still be there.
      await new Promise((r) => setTimeout(r, 5));
      return client.json("/echo", z.object({ q: z.string().nullable(), id: z.string() }), { query: { q: (request.body as { q: string }).q } });
    });
    await front.listen({ host: "127.0.0.1", port: 0 });
    frontUrl = `http://127.0.0.1:${(front.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await front?.close();
    await back?.close();
  });

  it("passes the id of the request being served on as x-request-id", async () => {
    const r = await fetch(`${frontUrl}/relay`, { method: "POST", headers: { "content-type": "application/json", "x-request-id": "trace-abc.1" }, body: JSON.stringify({ q: "hello world" }) });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ q: "hello world", id: "trace-abc.1" });
    expect(seen.at(-1)).toBe("trace-abc.1");
    // Outside a request there is no id to pass on.
    const client = createServiceClient({ service: "back", baseUrl: backUrl, timeoutMs: 5000 });
    await client.json("/echo", z.object({ q: z.string().nullable() }).passthrough());
    expect(seen.at(-1)).toBeUndefined();
  });

  it("sends JSON bodies and query strings, and drops undefined query values", async () => {
    const client = createServiceClient({ service: "back", baseUrl: backUrl, timeoutMs: 5000 });
    expect(await client.json("/items", z.object({ created: z.string() }), { body: { name: "x" } })).toEqual({ created: "x" });
    expect(await client.json("/echo", z.object({ q: z.string().nullable() }).passthrough(), { query: { q: undefined } })).toMatchObject({ q: null });
  });

  it("turns every failure into one ServiceError: http (with code and fields), not found, wrong shape, timeout, unreachable, aborted", async () => {
    const client = createServiceClient({ service: "back", baseUrl: backUrl, timeoutMs: 5000 });
    const bad = await client.json("/items", z.unknown(), { body: { name: "" } }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ServiceError);
    expect(bad).toMatchObject({ kind: "http", status: 400, service: "back" });
    expect((bad as ServiceError).fields.map((f) => f.path)).toContain("body.name");

    expect(await client.jsonOrNotFound("/missing", z.unknown())).toBeUndefined();
    await expect(client.json("/missing", z.unknown())).rejects.toMatchObject({ kind: "http", status: 404, code: "not_found" });
    // OpenAI's error shape keeps its code and message.
    await expect(client.json("/openai-error", z.unknown())).rejects.toMatchObject({ kind: "http", status: 429, code: "rate_limited", message: expect.stringContaining("slow down") });
    await expect(client.json("/wrong-shape", z.object({ results: z.array(z.unknown()) }))).rejects.toMatchObject({ kind: "invalid_response", message: expect.stringContaining("results") });
    await expect(client.json("/slow", z.unknown(), { timeoutMs: 100 })).rejects.toMatchObject({ kind: "timeout" });
    const abort = new AbortController();
    const pending = client.json("/slow", z.unknown(), { signal: abort.signal });
    abort.abort();
    await expect(pending).rejects.toMatchObject({ kind: "aborted" });

    const nobody = createServiceClient({ service: "gone", baseUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 1000 });
    await expect(nobody.json("/echo", z.unknown())).rejects.toMatchObject({ kind: "unreachable", service: "gone", message: expect.stringContaining("cannot reach gone") });
  });
});
