import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { shortAnswerLength } from "../setup/globalSetup.js";
import { chatBody, postJson, readSse, startInferenceApp, type RunningInference } from "../helpers/startInferenceApp.js";

let long: RunningInference;
let short: RunningInference;
let empty: RunningInference;

beforeAll(async () => {
  long = await startInferenceApp({ contextSize: 512 });
  short = await startInferenceApp({ chatModel: inject("models").chatShort, sequences: 1 });
  empty = await startInferenceApp({ chatModel: inject("models").chatEmpty, sequences: 1 });
});
afterAll(async () => {
  await Promise.all([long?.close(), short?.close(), empty?.close()]);
});

describe("POST /v1/chat/completions", () => {
  it("generates up to max_tokens with finish_reason length and real usage counts", async () => {
    const r = await postJson(`${long.url}/v1/chat/completions`, chatBody("hello there", { max_tokens: 12, temperature: 0 }));
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.object).toBe("chat.completion");
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.choices[0].message.role).toBe("assistant");
    expect(body.choices[0].message.content.length).toBeGreaterThan(0);
    expect(body.choices[0].finish_reason).toBe("length");
    expect(body.usage.completion_tokens).toBe(12);
    expect(body.usage.prompt_tokens).toBeGreaterThan(4);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 12);
  });

  it("counts more prompt tokens for a longer prompt", async () => {
    const a = await (await postJson(`${long.url}/v1/chat/completions`, chatBody("hi", { max_tokens: 1 }))).json();
    const b = await (await postJson(`${long.url}/v1/chat/completions`, chatBody("hi ".repeat(40), { max_tokens: 1 }))).json();
    expect(b.usage.prompt_tokens).toBeGreaterThan(a.usage.prompt_tokens + 20);
  });

  it("stops at the model's end of generation with finish_reason stop", async () => {
    const r = await postJson(`${short.url}/v1/chat/completions`, chatBody("anything", { max_tokens: 100 }));
    const body = await r.json();
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(body.usage.completion_tokens).toBe(shortAnswerLength);
    const e = await (await postJson(`${empty.url}/v1/chat/completions`, chatBody("anything", { max_tokens: 100 }))).json();
    expect(e.choices[0].message.content).toBe("");
    expect(e.choices[0].finish_reason).toBe("stop");
    expect(e.usage.completion_tokens).toBe(0);
  });

  it("is deterministic for a fixed seed and streams the same text as it returns", async () => {
    const body = chatBody("tell me about nix", { max_tokens: 24, temperature: 0.8, seed: 42 });
    const a = await (await postJson(`${long.url}/v1/chat/completions`, body)).json();
    const b = await (await postJson(`${long.url}/v1/chat/completions`, body)).json();
    expect(b.choices[0].message.content).toBe(a.choices[0].message.content);

    const r = await postJson(`${long.url}/v1/chat/completions`, { ...body, stream: true, stream_options: { include_usage: true } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/event-stream");
    expect(r.headers.get("x-request-id")).toBeTruthy();
    const events = await readSse(r);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0].id)).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe("assistant");
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text).toBe(a.choices[0].message.content);
    const contentChunks = chunks.filter((c) => c.choices[0]?.delta?.content);
    expect(contentChunks.length).toBeGreaterThan(1);
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish.choices[0].finish_reason).toBe("length");
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    expect(usage.usage.completion_tokens).toBe(24);
  });

  it("honours stop sequences", async () => {
    const base = chatBody("stop test", { max_tokens: 40, temperature: 0 });
    const full: string = (await (await postJson(`${long.url}/v1/chat/completions`, base)).json()).choices[0].message.content;
    const stopAt = full.slice(Math.floor(full.length / 2), Math.floor(full.length / 2) + 3);
    const expected = full.slice(0, full.indexOf(stopAt));
    const r = await (await postJson(`${long.url}/v1/chat/completions`, { ...base, stop: [stopAt] })).json();
    expect(r.choices[0].finish_reason).toBe("stop");
    expect(r.choices[0].message.content).toBe(expected);
  });

  it("enforces a JSON schema with a grammar", async () => {
    const schema = {
      type: "object",
      properties: {
        answer: { type: "string", enum: ["yes", "no", "maybe"] },
        confidence: { type: "integer", enum: [1, 2, 3] },
        tags: { type: "array", items: { type: "string", maxLength: 8 }, maxItems: 3 },
      },
      required: ["answer", "confidence", "tags"],
      additionalProperties: false,
    };
    for (const seed of [1, 2, 3]) {
      const r = await postJson(
        `${long.url}/v1/chat/completions`,
        chatBody("answer in json", { max_tokens: 200, seed, response_format: { type: "json_schema", json_schema: { name: "a", schema } } }),
      );
      expect(r.status).toBe(200);
      const body = await r.json();
      expect(body.choices[0].finish_reason).toBe("stop");
      const parsed = JSON.parse(body.choices[0].message.content);
      expect(["yes", "no", "maybe"]).toContain(parsed.answer);
      expect([1, 2, 3]).toContain(parsed.confidence);
      expect(Array.isArray(parsed.tags)).toBe(true);
      expect(parsed.tags.length).toBeLessThanOrEqual(3);
    }
  });

  it("constrains json_object output to JSON", async () => {
    const r = await postJson(`${long.url}/v1/chat/completions`, chatBody("json please", { max_tokens: 30, seed: 5, response_format: { type: "json_object" } }));
    const body = await r.json();
    const content: string = body.choices[0].message.content;
    expect(content.trimStart().startsWith("{")).toBe(true);
    if (body.choices[0].finish_reason === "stop") expect(() => JSON.parse(content)).not.toThrow();
  });

  it("refuses a prompt plus max_tokens beyond the context with the token counts", async () => {
    const r = await postJson(`${long.url}/v1/chat/completions`, chatBody("hello", { max_tokens: 600 }));
    expect(r.status).toBe(400);
    // OpenAI's error shape, with the counts kept beside its four keys.
    const { error } = await r.json();
    expect(error).toMatchObject({ type: "invalid_request_error", code: "context_length_exceeded", param: null, max_tokens: 600, context_size: 512 });
    expect(error.prompt_tokens).toBeGreaterThan(0);
    const big = await postJson(`${long.url}/v1/chat/completions`, chatBody("word ".repeat(600), { max_tokens: 1 }));
    expect(big.status).toBe(400);
    expect((await big.json()).error.prompt_tokens).toBeGreaterThan(512);
  });

  it.each([
    ["malformed JSON", "{\"messages\": [", "invalid_json", undefined],
    ["empty messages", { messages: [] }, "validation_error", "body.messages"],
    ["missing messages", { max_tokens: 3 }, "validation_error", "body.messages"],
    ["unknown role", { messages: [{ role: "wizard", content: "hi" }] }, "validation_error", "body.messages[0].role"],
    ["content of the wrong type", { messages: [{ role: "user", content: 42 }] }, "validation_error", "body.messages[0].content"],
    ["temperature as a string", { messages: [{ role: "user", content: "hi" }], temperature: "hot" }, "validation_error", "body.temperature"],
    ["negative max_tokens", { messages: [{ role: "user", content: "hi" }], max_tokens: -1 }, "validation_error", "body.max_tokens"],
    ["too many stop sequences", { messages: [{ role: "user", content: "hi" }], stop: ["a", "b", "c", "d", "e"] }, "validation_error", "body.stop"],
  ])("answers %s with a 400 naming the field", async (_name, payload, error, field) => {
    const r = await postJson(`${long.url}/v1/chat/completions`, payload);
    expect(r.status).toBe(400);
    const body = await r.json();
    expect(body.error).toMatchObject({ code: error, type: "invalid_request_error" });
    expect(body.error.message).toBeTruthy();
    if (field) {
      expect(body.error.fields.map((f: { path: string }) => f.path)).toContain(field);
      expect(body.error.param).toBe(field.replace(/^body\./, ""));
    }
  });

  it("rejects an unsupported JSON schema with a 400", async () => {
    const r = await postJson(
      `${long.url}/v1/chat/completions`,
      chatBody("x", { response_format: { type: "json_schema", json_schema: { schema: { type: "object", properties: { a: { type: "bogus" } } } } } }),
    );
    expect(r.status).toBe(400);
    const body = await r.json();
    expect(body.error.fields[0].path).toBe("body.response_format.json_schema.schema.properties.a.type");
  });
});

describe("model and status endpoints", () => {
  it("lists the loaded model OpenAI-style", async () => {
    const body = await (await fetch(`${long.url}/v1/models`)).json();
    expect(body.object).toBe("list");
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ object: "model", owned_by: "local" });
  });

  it("reports model, sequences, context, threads and queue in /status", async () => {
    const body = await (await fetch(`${long.url}/status`)).json();
    expect(body).toMatchObject({
      model_path: inject("models").chat,
      loading: false,
      load_progress_pct: 100,
      healthy: true,
      queue_depth: 0,
      active_sequences: 0,
      sequences: 2,
      context_size: 512,
      threads: 1,
      models: { chat: { path: inject("models").chat }, embed: null, rerank: null },
    });
    expect(body.model_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("exports the llama_* metrics", async () => {
    await postJson(`${long.url}/v1/chat/completions`, chatBody("metrics", { max_tokens: 5 }));
    const text = await (await fetch(`${long.url}/metrics`)).text();
    const value = (name: string) => Number(text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m"))?.[1]);
    expect(value("llama_tokens_generated_total")).toBeGreaterThanOrEqual(5);
    expect(value("llama_prompt_tokens_total")).toBeGreaterThan(0);
    expect(value("llama_generation_tokens_per_second_count")).toBeGreaterThan(0);
    expect(text).toMatch(/llama_request_duration_seconds_count\{[^}]*endpoint="chat_completions"/);
    expect(value("llama_queue_depth")).toBe(0);
    expect(value("llama_model_loading")).toBe(0);
    expect(value("llama_model_load_seconds_count")).toBeGreaterThanOrEqual(1);
  });
});
