import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionTool } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { waitFor } from "../../helpers/startInferenceApp.js";
import { hasRedisServer, startRedis, type RedisServer } from "../../helpers/startRedis.js";
import { startCoordinatorStack, type CoordinatorStack } from "../helpers/startCoordinatorStack.js";

// The official OpenAI SDK with the coordinator as its one base URL: what
// Open WebUI, LangChain and any OpenAI client get.

const weather: ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", enum: ["Paris", "Oslo", "Lima"] }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
      required: ["city", "unit"],
    },
  },
};

const sdk = (s: { url: string }) => new OpenAI({ baseURL: `${s.url}/v1`, apiKey: "not-needed", maxRetries: 0, timeout: 60_000 });
const routingOf = (headers: Headers) => JSON.parse(headers.get("x-ai-stack-routing")!);
const stages = ["sanitize_ms", "cache_ms", "expand_ms", "retrieve_ms", "rerank_ms", "compress_ms", "generate_ms", "total_ms"];

/** Reads a chat stream: its text, tool calls (deltas added up by index), finish reason and last chunk. */
async function drain(stream: AsyncIterable<ChatCompletionChunk>) {
  let text = "";
  let finish: string | null = null;
  const calls: { id?: string; name?: string; arguments: string }[] = [];
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    const choice = chunk.choices[0];
    text += choice?.delta.content ?? "";
    finish = choice?.finish_reason ?? finish;
    for (const d of choice?.delta.tool_calls ?? []) {
      const call = (calls[d.index] ??= { arguments: "" });
      if (d.id) call.id = d.id;
      if (d.function?.name) call.name = d.function.name;
      call.arguments += d.function?.arguments ?? "";
    }
  }
  return { text, finish, calls, chunks, last: chunks.at(-1) as (ChatCompletionChunk & { ai_stack_timings?: Record<string, number> }) | undefined };
}

describe("the official openai SDK against the coordinator (local model that calls functions, a remote)", () => {
  let s: CoordinatorStack;
  let client: OpenAI;
  // With Redis (when installed) the semantic cache is on, so what is cached and what is not shows.
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    redis = hasRedisServer() ? await startRedis() : undefined;
    s = await startCoordinatorStack({
      remote: true,
      chatModel: inject("models").chatTools,
      routing: { local_confidence_threshold: 0 },
      ...(redis && { redisUrl: redis.url, aidb: { redisUrl: redis.url } }),
    });
    client = sdk(s);
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    await redis?.stop();
  });

  it("lists the routed model, the local chat model and the remote, and retrieves one by id", async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m);
    expect(models.map((m) => [m.id, m.owned_by])).toEqual([
      ["ai-stack", "ai-stack"],
      ["local/synthetic-tiny-tools", "local"],
      ["remote/default", "remote"],
    ]);
    expect(await client.models.retrieve("local/synthetic-tiny-tools")).toMatchObject({ id: "local/synthetic-tiny-tools", route: "local" });
    await expect(client.models.retrieve("gpt-4o")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("goes through Open WebUI's flow: list models, chat, then stream with usage; routing and timings in headers, timings on the last chunk", async () => {
    const [first] = (await client.models.list()).data;
    const messages = [{ role: "user" as const, content: "how do flakes pin their inputs?" }];
    const { data: completion, response } = await client.chat.completions.create({ model: first.id, messages, max_tokens: 12 }).withResponse();
    expect(completion).toMatchObject({ object: "chat.completion", model: "ai-stack" });
    expect(completion.choices[0].message.content).toBeTruthy();
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(routingOf(response.headers)).toMatchObject({ backend: "local", reason: "context_quality_ok" });
    const timings = JSON.parse(response.headers.get("x-ai-stack-timings")!);
    expect(Object.keys(timings)).toEqual(stages);
    expect(timings.total_ms).toBeGreaterThanOrEqual(timings.generate_ms);

    const { data: stream, response: streamed } = await client.chat.completions
      .create({ model: first.id, messages: [{ role: "user", content: "and how do I update them?" }], max_tokens: 12, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    expect(routingOf(streamed.headers).backend).toBe("local");
    expect(JSON.parse(streamed.headers.get("x-ai-stack-timings")!).generate_ms).toBe(0);
    const read = await drain(stream);
    expect(read.text.length).toBeGreaterThan(0);
    expect(read.finish).toBe("length");
    // The usage chunk comes last, and carries the complete timings.
    expect(read.last?.choices).toEqual([]);
    expect(read.last?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(Object.keys(read.last?.ai_stack_timings ?? {})).toEqual(stages);
    expect(read.last!.ai_stack_timings!.generate_ms).toBeGreaterThan(0);

    // Without include_usage there is no usage chunk, and the finish chunk carries the timings.
    const plain = await drain(await client.chat.completions.create({ model: "ai-stack", messages: [{ role: "user", content: "one more" }], max_tokens: 4, stream: true }));
    expect(plain.chunks.some((c) => c.usage)).toBe(false);
    expect(plain.last?.choices[0]?.finish_reason).toBe("length");
    expect(plain.last?.ai_stack_timings?.total_ms).toBeGreaterThan(0);
  });

  it("routes by model id: local/<name> and remote/<name> force the backend; an unknown id is a 404 the SDK raises as NotFoundError", async () => {
    // Each question differs: the same forced request twice would be a cache hit.
    const ask = (model: string) => client.chat.completions.create({ model, messages: [{ role: "user", content: `which one answers ${model}?` }], max_tokens: 4 }).withResponse();
    const local = await ask("local/synthetic-tiny-tools");
    expect(routingOf(local.response.headers)).toMatchObject({ backend: "local", reason: "force_local" });
    expect(local.data.model).toBe("local/synthetic-tiny-tools");
    expect(routingOf((await ask("remote/default")).response.headers)).toMatchObject({ backend: "remote", reason: "force_remote" });
    expect(routingOf((await ask("local")).response.headers)).toMatchObject({ reason: "force_local" });
    for (const unknown of ["gpt-4o-mini", "local/another-model", "remote/gpt-4o"]) {
      const err = await ask(unknown).then(() => undefined, (e: unknown) => e);
      expect(err, unknown).toBeInstanceOf(OpenAI.NotFoundError);
      expect(err as InstanceType<typeof OpenAI.NotFoundError>).toMatchObject({ status: 404, code: "model_not_found", param: "model" });
      expect((err as Error).message).toContain("GET /v1/models lists ai-stack, local/synthetic-tiny-tools, remote/default");
    }
    const conflict = await client.chat.completions
      .create({ model: "remote/default", messages: [{ role: "user", content: "x" }], force_local: true } as never)
      .then(() => undefined, (e: unknown) => e);
    expect(conflict).toBeInstanceOf(OpenAI.BadRequestError);
    expect((conflict as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("force_local");
  });

  it("follows a json_schema response_format", async () => {
    const completion = await client.chat.completions.create({
      model: "local/synthetic-tiny-tools",
      messages: [{ role: "user", content: "pick a colour" }],
      max_tokens: 40,
      response_format: { type: "json_schema", json_schema: { name: "pick", schema: { type: "object", properties: { colour: { enum: ["red", "green"] } }, required: ["colour"] } } },
    });
    expect(["red", "green"]).toContain(JSON.parse(completion.choices[0].message.content!).colour);
  });

  it("forwards tools to the local model, which calls them, in JSON and as streamed deltas; tool answers are not cached", async () => {
    const request = {
      model: "ai-stack",
      messages: [{ role: "user" as const, content: "what is the weather in Lima?" }],
      tools: [weather],
      tool_choice: { type: "function" as const, function: { name: "get_weather" } },
      max_tokens: 200,
      seed: 5,
    };
    const { data: completion, response } = await client.chat.completions.create(request).withResponse();
    expect(routingOf(response.headers)).toMatchObject({ backend: "local" });
    expect(completion.choices[0].finish_reason).toBe("tool_calls");
    const call = completion.choices[0].message.tool_calls![0];
    if (call.type !== "function") throw new Error("not a function call");
    expect(call.function.name).toBe("get_weather");
    expect(["Paris", "Oslo", "Lima"]).toContain(JSON.parse(call.function.arguments).city);

    const read = await drain(await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } }));
    expect(read.finish).toBe("tool_calls");
    expect(read.calls).toHaveLength(1);
    expect(read.calls[0]).toMatchObject({ id: expect.stringMatching(/^call_/), name: "get_weather" });
    expect(["celsius", "fahrenheit"]).toContain(JSON.parse(read.calls[0].arguments).unit);
    expect(read.last?.usage).toBeTruthy();

    // The same request again is generated again, not replayed from the cache.
    for (let i = 0; i < 5; i++) {
      const again = await client.chat.completions.create(request).withResponse();
      expect(routingOf(again.response.headers).cache.hit).toBe(false);
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it.skipIf(!hasRedisServer())("streams a cached answer with its timings, and a usage of zero when asked (nothing was generated)", async () => {
    const request = { model: "ai-stack", messages: [{ role: "user" as const, content: "what is a derivation?" }], max_tokens: 6 };
    const first = await client.chat.completions.create(request);
    let hit: Awaited<ReturnType<typeof drain>> | undefined;
    let headers: Headers | undefined;
    for (let i = 0; i < 50 && !hit; i++) {
      const { data, response } = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } }).withResponse();
      const read = await drain(data);
      if (routingOf(response.headers).cache.hit) [hit, headers] = [read, response.headers];
      else await new Promise((r) => setTimeout(r, 20));
    }
    expect(hit, "a cache hit").toBeDefined();
    expect(routingOf(headers!).reason).toBe("semantic_cache_hit");
    expect(hit!.text).toBe(first.choices[0].message.content);
    expect(hit!.last?.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    expect(hit!.last?.ai_stack_timings?.generate_ms).toBe(0);
  });

  it("embeds through the coordinator's embedding cache, with the SDK's default encoding (base64) and float", async () => {
    const metric = async (cache: string) => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      return Number(text.match(new RegExp(`^coordinator_embedding_texts_total\\{[^}]*cache="${cache}"[^}]*\\} (\\S+)$`, "m"))?.[1] ?? 0);
    };
    const input = ["nix flakes pin their inputs", "zram compresses memory"];
    const byDefault = await client.embeddings.create({ model: "any", input });
    expect(byDefault.data.map((d) => d.embedding.length)).toEqual([64, 64]);
    expect(byDefault.usage.prompt_tokens).toBeGreaterThan(0);
    const hitsBefore = await metric("hit");
    const asFloat = await client.embeddings.create({ model: "any", input: [...input, "a third text"], encoding_format: "float" });
    expect(await metric("hit")).toBe(hitsBefore + 2);
    for (const i of [0, 1]) byDefault.data[i].embedding.forEach((v, j) => expect(v).toBeCloseTo(asFloat.data[i].embedding[j], 6));
    // The same vectors as the embeddings service gives directly.
    const direct = await sdk(s.local).embeddings.create({ model: "any", input: input[0], encoding_format: "float" });
    expect(asFloat.data[0].embedding).toEqual(direct.data[0].embedding);
    expect(asFloat.model).toBe(direct.model);

    const shorter = await client.embeddings.create({ model: "any", input: "x", dimensions: 16 }).then(() => undefined, (e: unknown) => e);
    expect(shorter).toBeInstanceOf(OpenAI.BadRequestError);
    expect((shorter as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("dimensions");
    const tokens = await client.embeddings.create({ model: "any", input: [5, 6, 7] }).then(() => undefined, (e: unknown) => e);
    expect((tokens as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("input");
  });

  it("surfaces refusals as the SDK's typed errors with the field, and aborts mid-stream", async () => {
    const bad = await client.chat.completions.create({ model: "ai-stack", messages: [{ role: "user", content: "x" }], temperature: 7 }).then(() => undefined, (e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad as InstanceType<typeof OpenAI.BadRequestError>).toMatchObject({ status: 400, code: "validation_error", param: "temperature" });
    expect((bad as Error).message).toContain("body.temperature");
    // The local service's own refusal reaches the client with its code and field.
    const tooLong = await client.chat.completions
      .create({ model: "local/synthetic-tiny-tools", messages: [{ role: "user", content: "x" }], max_tokens: 100_000, retrieval: false } as never)
      .then(() => undefined, (e: unknown) => e);
    expect(tooLong).toBeInstanceOf(OpenAI.BadRequestError);
    expect((tooLong as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("context_length_exceeded");

    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "local/synthetic-tiny-tools", messages: [{ role: "user", content: "go on and on" }], max_tokens: 1500, stream: true },
      { signal: controller.signal },
    );
    let pieces = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) pieces++;
      if (pieces === 3) controller.abort();
    }
    expect(pieces).toBe(3);
    await waitFor(async () => ((await (await fetch(`${s.local.url}/status`)).json()).active_sequences === 0 ? true : undefined), 10_000, "local sequence freed");
    expect(s.local.logs.lines().some((l) => l.event === "client_disconnected")).toBe(true);
    // The coordinator records the interaction as aborted.
    const telemetry = join(s.stateDir, "telemetry.jsonl");
    await waitFor(() => (existsSync(telemetry) && readFileSync(telemetry, "utf8").split("\n").some((l) => l.includes('"status":"aborted"'))) || undefined, 10_000, "aborted interaction");
  });
});

describe("tools the local model cannot call go to the remote (tool_calling_required)", () => {
  let s: CoordinatorStack;
  let client: OpenAI;
  beforeAll(async () => {
    s = await startCoordinatorStack({ remote: true, remoteChatModel: inject("models").chatTools, routing: { local_confidence_threshold: 0 } });
    client = sdk(s);
  }, 120_000);
  afterAll(async () => s?.close());

  it("routes a tool request to the remote, says why in the header and the log, and streams its tool-call deltas", async () => {
    const request = {
      model: "ai-stack",
      messages: [{ role: "user" as const, content: "what is the weather in Oslo?" }],
      tools: [weather],
      tool_choice: "required" as const,
      parallel_tool_calls: false,
      max_tokens: 200,
      seed: 5,
    };
    const { data, response } = await client.chat.completions.create(request).withResponse();
    expect(routingOf(response.headers)).toMatchObject({ backend: "remote", reason: "tool_calling_required", routing_override: "tool_calling_required" });
    expect(data.choices[0].finish_reason).toBe("tool_calls");
    expect(data.choices[0].message.tool_calls).toHaveLength(1);
    const logged = s.logs.lines().find((l) => l.event === "llm_backend_selected" && l.routing_override === "tool_calling_required");
    expect(logged).toMatchObject({ backend: "remote", reason: "tool_calling_required" });

    const read = await drain(await client.chat.completions.create({ ...request, stream: true }));
    expect(read.finish).toBe("tool_calls");
    expect(read.calls).toHaveLength(1);
    expect(["Paris", "Oslo", "Lima"]).toContain(JSON.parse(read.calls[0].arguments).city);

    // Without tools the same question stays local.
    const { response: plain } = await client.chat.completions.create({ model: "ai-stack", messages: request.messages, max_tokens: 4 }).withResponse();
    expect(routingOf(plain.headers).backend).toBe("local");
  });

  it("a tool request forced onto the local model is refused with a 400 naming tools, never answered with text", async () => {
    const err = await client.chat.completions
      .create({ model: "local", messages: [{ role: "user", content: "weather?" }], tools: [weather], max_tokens: 8 })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err as InstanceType<typeof OpenAI.BadRequestError>).toMatchObject({ status: 400, code: "tools_not_supported", param: "tools" });
    expect((err as Error).message).toContain("cannot call functions");
  });
});
