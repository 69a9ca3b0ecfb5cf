import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { chatCompletionSchema } from "../../services/inference/api/chatCompletionSchema.js";
import { createInferenceClient, type InferenceClient } from "../../services/inference/api/createInferenceClient.js";
import { inferenceStatusSchema } from "../../services/inference/api/inferenceStatusSchema.js";
import { tooManyInputsErrorSchema } from "../../services/inference/api/tooManyInputsErrorSchema.js";
import { runWithRequestId } from "../../services/shared/http/requestContext.js";
import { ServiceError } from "../../services/shared/http/ServiceError.js";
import { freePort } from "../helpers/startRedis.js";
import { chatBody, startInferenceApp, type RunningInference } from "../helpers/startInferenceApp.js";

// The inference contract's client against the real inference service: one
// instance with chat (short answers), embeddings and a reranker, and a
// request limit low enough to reach.
let svc: RunningInference;
let client: InferenceClient;

beforeAll(async () => {
  const { chatShort, embed, rerank } = inject("models");
  svc = await startInferenceApp({ chatModel: chatShort, sequences: 1, embedModel: embed, rerankModel: rerank, maxInputsPerRequest: 4, contextSize: 512 });
  client = createInferenceClient({ service: "test inference", baseUrl: `${svc.url}/`, timeoutMs: 30_000 });
});
afterAll(async () => svc?.close());

/** The ServiceError a call failed with (the test fails if it succeeded or threw something else). */
async function failure(call: Promise<unknown>): Promise<ServiceError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServiceError);
  return err as ServiceError;
}

describe("createInferenceClient", () => {
  it("reads /health, /ready, /status and /v1/models; the server's /status is the contract's schema", async () => {
    await client.health();
    await client.ready();
    const status = await client.status();
    expect(() => inferenceStatusSchema.parse(status)).not.toThrow();
    expect(status).toMatchObject({ healthy: true, loading: false, sequences: 1, context_size: 512, queue_depth: 0 });
    expect(status.models?.embed).toMatchObject({ loaded: true, dimensions: 64, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(status.models?.rerank).toMatchObject({ loaded: true });
    const models = await client.models();
    expect(models.data.map((m) => m.role).sort()).toEqual(["chat", "embedding", "rerank"]);
  });

  it("embeds texts in input order, and a request over the server's limit is a 400 too_many_inputs naming the limit and the field", async () => {
    const r = await client.embeddings({ input: ["the nix store", "a flake input", "the nix store"] });
    expect(r.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(r.data[0].embedding).toHaveLength(64);
    expect(r.data[0].embedding).toEqual(r.data[2].embedding);
    expect((await client.embeddings({ input: "one text" })).data).toHaveLength(1);

    const err = await failure(client.embeddings({ input: ["a", "b", "c", "d", "e"] }));
    expect(err).toMatchObject({ kind: "http", status: 400, code: "too_many_inputs", service: "test inference" });
    expect(err.fields.map((f) => f.path)).toEqual(["body.input"]);
    expect(tooManyInputsErrorSchema.parse(err.body).error.limit).toBe(4);
  });

  it("reranks documents: every index once, sorted by relevance", async () => {
    const documents = ["nix flakes pin their inputs in flake.lock", "bananas are yellow", "a lock file records input revisions"];
    const { results } = await client.rerank({ query: "how do flakes pin inputs?", documents });
    expect(results.map((r) => r.index).sort()).toEqual([0, 1, 2]);
    const scores = results.map((r) => r.relevance_score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it("completes a chat as JSON, and streams the same answer as deltas", async () => {
    const body = chatBody("hello there", { max_tokens: 16, seed: 7, temperature: 0 });
    const completion = await client.chat.complete(body);
    expect(() => chatCompletionSchema.parse(completion)).not.toThrow();
    expect(completion).toMatchObject({ object: "chat.completion", choices: [{ index: 0, message: { role: "assistant" } }] });
    const text = completion.choices[0].message.content;
    expect(text).toEqual(expect.any(String));
    expect(text!.length).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);

    const stream = await client.chat.stream(body);
    let streamed = "";
    const finishReasons: (string | null | undefined)[] = [];
    for await (const delta of stream.deltas) {
      streamed += delta.content;
      expect(JSON.parse(delta.raw)).toMatchObject({ object: "chat.completion.chunk" });
      if (delta.finishReason) finishReasons.push(delta.finishReason);
    }
    expect(streamed).toBe(text);
    expect(finishReasons).toEqual([completion.choices[0].finish_reason]);
  });

  it("a refused chat is a ServiceError with the server's code, and its fields for invalid input", async () => {
    const tooLong = await failure(client.chat.complete(chatBody("hello", { max_tokens: 600 })));
    expect(tooLong).toMatchObject({ kind: "http", status: 400, code: "context_length_exceeded" });
    expect(tooLong.body).toMatchObject({ error: { max_tokens: 600, context_size: 512 } });
    // A stream is refused before it starts, as an ordinary error.
    await expect(client.chat.stream(chatBody("hello", { max_tokens: 600 }))).rejects.toMatchObject({ kind: "http", status: 400, code: "context_length_exceeded" });

    const invalid = await failure(client.chat.complete({ messages: [{ role: "user", content: "hi" }], temperature: "hot" }));
    expect(invalid).toMatchObject({ kind: "http", status: 400, code: "validation_error" });
    expect(invalid.fields.map((f) => f.path)).toContain("body.temperature");
  });

  it("passes the id of the request being served on to the service", async () => {
    await runWithRequestId("client-test.42", () => client.status());
    const line = svc.logs.lines().find((l) => l.request_id === "client-test.42");
    expect(line).toBeDefined();
  });

  it("names the service when it cannot be reached, and honours the caller's signal mid-stream", async () => {
    const nobody = createInferenceClient({ service: "gone inference", baseUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 2000 });
    const err = await failure(nobody.status());
    expect(err).toMatchObject({ kind: "unreachable", service: "gone inference", message: expect.stringContaining("cannot reach gone inference") });

    const abort = new AbortController();
    const stream = await client.chat.stream(chatBody("tell me more", { max_tokens: 64 }), abort.signal);
    const read = (async () => {
      for await (const _ of stream.deltas) abort.abort();
    })();
    await expect(read).rejects.toMatchObject({ kind: "aborted" });
  });
});
