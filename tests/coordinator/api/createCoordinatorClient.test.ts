import type { FastifyReply } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoordinatorClient, type CoordinatorClient } from "../../../services/coordinator/api/createCoordinatorClient.js";
import type { QueryEvent } from "../../../services/coordinator/api/queryContract.js";
import { buildKernel, type KernelApp } from "../../../services/shared/http/buildKernel.js";
import { HttpError } from "../../../services/shared/http/HttpError.js";
import { ServiceError } from "../../../services/shared/http/ServiceError.js";
import { captureLogger } from "../../helpers/captureLogger.js";
import { freePort } from "../../helpers/startRedis.js";

// A stand-in coordinator on loopback whose answers each test picks through
// the project name: right ones, wrong ones, and streams that go wrong.
const id = "7f4c2f0e-8b1a-4c55-9d0e-2f6a1b3c4d5e";
const routing = { reason: "local_healthy", local_confidence_score: 0.8, threshold: 0.5 };
const context = { sources: [{ document_id: "d1", title: "Flakes", score: 0.9 }], tokens_before: 10, tokens_after: 10, compressed: false, rerank: { applied: false } };
const cache = { hit: false, variant: "A" };
const timings = { retrieve_ms: 1, generate_ms: 2, total_ms: 3.5 };
const events = {
  meta: { type: "meta", interaction_id: id, backend: "local", routing, context, cache },
  token: (text: string) => ({ type: "token", text }),
  done: { type: "done", interaction_id: id, finish_reason: "stop", timings },
};
const sse = (payload: unknown) => `data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`;

/** The SSE body each `project` streams; "break" drops the connection half-way. */
const streams: Record<string, string[] | "break"> = {
  whole: [sse(events.meta), sse(events.token("Flakes ")), sse(events.token("pin.")), sse(events.done), sse("[DONE]")],
  failed: [sse(events.meta), sse(events.token("Fla")), sse({ type: "error", error: "backend_failed_mid_stream", message: "local: socket hang up" }), sse("[DONE]")],
  cut: [sse(events.meta), sse(events.token("Fla"))],
  notJson: [sse(events.meta), "data: {oops\n\n"],
  unknownType: [sse(events.meta), sse({ type: "progress", percent: 50 })],
  crlf: [sse(events.meta).replace(/\n/g, "\r\n"), sse(events.done).replace(/\n/g, "\r\n"), "data: [DONE]\r\n\r\n"],
  break: "break",
  /** Never ends: only the client can close it. */
  slow: [sse(events.meta), sse(events.token("Fla"))],
};

describe("createCoordinatorClient", () => {
  let app: KernelApp;
  let client: CoordinatorClient;
  let url: string;
  const closed: string[] = [];

  beforeAll(async () => {
    app = buildKernel({ service: "coordinator", logger: captureLogger("coordinator").logger });
    app.post("/query", async (request, reply: FastifyReply) => {
      const body = request.body as { query: string; project?: string; stream?: boolean };
      if (body.query === "too long") throw new HttpError(400, "validation_error", "query: at most 4000 characters", { fields: [{ path: "body.query", message: "at most 4000 characters" }] });
      if (!body.stream) {
        if (body.project === "wrong") return { interaction_id: id, response: 42 };
        return { interaction_id: id, response: "Flakes pin.", backend: "local", routing, context, timings, cache, usage: { completion_tokens: 3 }, extra: "kept" };
      }
      const chunks = streams[body.project ?? "whole"]!;
      reply.hijack();
      reply.raw.writeHead(200, { "content-type": "text/event-stream" });
      reply.raw.on("close", () => closed.push(body.project ?? "whole"));
      if (chunks === "break") {
        reply.raw.write(sse(events.meta));
        setTimeout(() => reply.raw.destroy(), 50);
        return reply;
      }
      for (const chunk of chunks) reply.raw.write(chunk);
      if (body.project !== "slow") reply.raw.end();
      return reply;
    });
    app.post("/feedback/:id", async (request) => {
      const { id: given } = request.params as { id: string };
      if (given !== id) throw new HttpError(404, "not_found", `no interaction ${given}`);
      return { recorded: true, interaction_id: id, rating: (request.body as { rating: number }).rating, documents: 2, documents_linked: 1 };
    });
    app.get("/gaps", async (request) => {
      const q = request.query as { days?: string; limit?: string };
      return { days: Number(q.days), threshold: 0.4, gaps: [], limit: Number(q.limit) };
    });
    app.get("/status", async () => ({ healthy: true }));
    await app.listen({ host: "127.0.0.1", port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    client = createCoordinatorClient({ baseUrl: `${url}/` });
  });
  afterAll(async () => {
    await app?.close();
  });

  const collect = async (project: string) => {
    const seen: QueryEvent[] = [];
    const error = await (async () => {
      for await (const event of client.queryStream({ query: "q", project })) seen.push(event);
    })().catch((e: unknown) => e);
    return { seen, error };
  };

  it("query: the JSON answer, checked, with the fields the contract does not name kept", async () => {
    expect(client.baseUrl).toBe(url);
    const r = await client.query({ query: "q" });
    expect(r).toMatchObject({ interaction_id: id, response: "Flakes pin.", backend: "local", routing, cache, extra: "kept" });
    expect(r.timings.total_ms).toBe(3.5);
    await expect(client.query({ query: "q", project: "wrong" })).rejects.toMatchObject({ kind: "invalid_response", message: expect.stringContaining("/query") });
  });

  it("a refusal is a ServiceError with the coordinator's code, message and fields", async () => {
    const err = await client.query({ query: "too long" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ kind: "http", status: 400, code: "validation_error", body: { message: "query: at most 4000 characters" } });
    expect((err as ServiceError).fields).toEqual([{ path: "body.query", message: "at most 4000 characters" }]);
  });

  it("queryStream: meta, tokens and done, in order, ending at [DONE]; CRLF framing too", async () => {
    const { seen, error } = await collect("whole");
    expect(error).toBeUndefined();
    expect(seen.map((e) => e.type)).toEqual(["meta", "token", "token", "done"]);
    expect(seen.filter((e) => e.type === "token").map((e) => (e as { text: string }).text).join("")).toBe("Flakes pin.");
    expect((await collect("crlf")).seen.map((e) => e.type)).toEqual(["meta", "done"]);
  });

  it("queryStream: an error event is an event (the caller says what failed)", async () => {
    const { seen, error } = await collect("failed");
    expect(error).toBeUndefined();
    expect(seen.at(-1)).toEqual({ type: "error", error: "backend_failed_mid_stream", message: "local: socket hang up" });
  });

  it.each([
    ["cut", "invalid_response", `the stream from the coordinator at URL ended before the answer was complete`],
    ["notJson", "invalid_response", "sent an event that is not JSON: {oops"],
    ["unknownType", "invalid_response", "sent an event of an unexpected shape"],
    ["break", "unreachable", "the stream from the coordinator at URL broke"],
  ])("queryStream %s: the events so far, then a ServiceError %s", async (project, kind, message) => {
    const { seen, error } = await collect(project);
    expect(seen[0]?.type).toBe("meta");
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ kind, message: expect.stringContaining(message.replace("URL", url)) });
  });

  it("queryStream: a caller that stops reading lets the stream go", async () => {
    for await (const event of client.queryStream({ query: "q", project: "slow" })) if (event.type === "meta") break;
    await expect.poll(() => closed.includes("slow"), { timeout: 2000 }).toBe(true);
  });

  it("feedback, gaps and status: the answers checked against the contract; an unknown id is a 404", async () => {
    expect(await client.feedback(id, { rating: -1 })).toMatchObject({ recorded: true, rating: -1, documents: 2, documents_linked: 1 });
    await expect(client.feedback("00000000-0000-4000-8000-000000000000", { rating: 1 })).rejects.toMatchObject({ kind: "http", status: 404, code: "not_found" });
    expect(await client.gaps({ days: 3, limit: 5 })).toMatchObject({ days: 3, limit: 5, gaps: [] });
    // A /status without the backends is not the coordinator's.
    await expect(client.status()).rejects.toMatchObject({ kind: "invalid_response", message: expect.stringContaining("/status") });
  });

  it("an unreachable coordinator names its URL", async () => {
    const gone = createCoordinatorClient({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    await expect(gone.status()).rejects.toMatchObject({ kind: "unreachable", message: expect.stringContaining("cannot reach the coordinator at http://127.0.0.1:") });
    await expect(collectFrom(gone)).rejects.toMatchObject({ kind: "unreachable" });
  });
});

async function collectFrom(client: CoordinatorClient): Promise<void> {
  for await (const _ of client.queryStream({ query: "q" })) {
    // nothing expected
  }
}
