import OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionTool } from "openai/resources/chat/completions";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startInferenceApp, waitFor, type RunningInference } from "../helpers/startInferenceApp.js";

// The official OpenAI SDK, a client written elsewhere, against the inference
// service: what a user of any OpenAI client gets.

const weather: ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city",
    // Random weights: the arguments are bounded by enums, so the grammar decides them.
    parameters: {
      type: "object",
      properties: { city: { type: "string", enum: ["Paris", "Oslo", "Lima"] }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
      required: ["city", "unit"],
      additionalProperties: false,
    },
  },
};
const clock: ChatCompletionTool = { type: "function", function: { name: "get_time", description: "The time now" } };

let tools: RunningInference;
let plain: RunningInference;
/** The SDK's types ask for a model; the inference service serves its one chat model whatever the name. */
const model = "synthetic-tiny-tools";
const sdk = (svc: RunningInference) => new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: "not-needed", maxRetries: 0, timeout: 30_000 });

beforeAll(async () => {
  const { chatTools, chat, embed } = inject("models");
  [tools, plain] = await Promise.all([
    startInferenceApp({ chatModel: chatTools, embedModel: embed, contextSize: 2048, sequences: 2 }),
    startInferenceApp({ chatModel: chat, contextSize: 2048 }),
  ]);
});
afterAll(async () => {
  await Promise.all([tools?.close(), plain?.close()]);
});

describe("the official openai SDK against the inference service", () => {
  it("lists the models, and says in /status which chat model can call functions", async () => {
    const ids = [];
    for await (const m of sdk(tools).models.list()) ids.push(m.id);
    expect(ids).toEqual(["synthetic-tiny-tools", "synthetic-tiny-chatml"]);
    expect((await (await fetch(`${tools.url}/status`)).json()).function_calling).toBe(true);
    expect((await (await fetch(`${plain.url}/status`)).json()).function_calling).toBe(false);
  });

  it("chats, and streams the same answer with usage when include_usage asks for it", async () => {
    const client = sdk(tools);
    const body = { model: "synthetic-tiny-tools", messages: [{ role: "user" as const, content: "hello" }], max_tokens: 12, seed: 3, temperature: 0 };
    const completion = await client.chat.completions.create(body);
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0].finish_reason).toBe("length");
    // node-llama-cpp generates max_tokens (plus, with a Jinja chat template, the token it looks at first).
    expect(completion.usage!.completion_tokens).toBeGreaterThanOrEqual(12);
    const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
    let text = "";
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? "";
    }
    expect(text).toBe(completion.choices[0].message.content);
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toEqual(completion.usage);
  });

  it("follows a json_schema response_format", async () => {
    const completion = await sdk(tools).chat.completions.create({
      model,
      messages: [{ role: "user", content: "pick a colour" }],
      max_tokens: 40,
      response_format: {
        type: "json_schema",
        json_schema: { name: "pick", schema: { type: "object", properties: { colour: { enum: ["red", "green"] } }, required: ["colour"] } },
      },
    });
    expect(["red", "green"]).toContain(JSON.parse(completion.choices[0].message.content!).colour);
  });

  it("calls a tool: a grammar-constrained call whose arguments parse under the tool's schema", async () => {
    const client = sdk(tools);
    const completion = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "what is the weather in Paris?" }],
      tools: [weather, clock],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      max_tokens: 200,
      seed: 5,
    });
    const choice = completion.choices[0];
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0];
    expect(call).toMatchObject({ type: "function", id: expect.stringMatching(/^call_/) });
    if (call.type !== "function") throw new Error("not a function call");
    expect(call.function.name).toBe("get_weather");
    const args = JSON.parse(call.function.arguments);
    expect(["Paris", "Oslo", "Lima"]).toContain(args.city);
    expect(["celsius", "fahrenheit"]).toContain(args.unit);
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);

    // "required" with parallel calls off: exactly one call to one of the tools.
    const required = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "weather or time?" }],
      tools: [weather, clock],
      tool_choice: "required",
      parallel_tool_calls: false,
      max_tokens: 200,
      seed: 5,
    });
    expect(required.choices[0].finish_reason).toBe("tool_calls");
    expect(required.choices[0].message.tool_calls).toHaveLength(1);
    const made = required.choices[0].message.tool_calls![0];
    if (made.type !== "function") throw new Error("not a function call");
    expect(["get_weather", "get_time"]).toContain(made.function.name);
    if (made.function.name === "get_time") expect(JSON.parse(made.function.arguments)).toEqual({});

    // The call and its result go back in the conversation (role "tool"), and the model answers on.
    const followUp = await client.chat.completions.create({
      model,
      messages: [
        { role: "user", content: "what is the weather in Paris?" },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: JSON.stringify({ temperature: 21 }) },
      ],
      tools: [weather, clock],
      tool_choice: "none",
      max_tokens: 8,
    });
    expect(followUp.choices[0].finish_reason).toBe("length");
    expect(followUp.choices[0].message.content).toBeTruthy();
  });

  it("streams tool calls as OpenAI deltas that add up to the call (and the SDK's stream helper assembles them)", async () => {
    const client = sdk(tools);
    const request = {
      model,
      messages: [{ role: "user" as const, content: "what is the weather in Oslo?" }],
      tools: [weather],
      tool_choice: "required" as const,
      parallel_tool_calls: false,
      max_tokens: 200,
      seed: 11,
    };
    const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    const calls: { id?: string; name?: string; arguments: string }[] = [];
    let finish: string | null = null;
    let pieces = 0;
    let usage: ChatCompletionChunk["usage"] = null;
    for await (const chunk of stream) {
      usage = chunk.usage ?? usage;
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
        pieces++;
        const call = (calls[d.index] ??= { arguments: "" });
        if (d.id) call.id = d.id;
        if (d.function?.name) call.name = d.function.name;
        call.arguments += d.function?.arguments ?? "";
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("tool_calls");
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ id: expect.stringMatching(/^call_/), name: "get_weather" });
    expect(pieces).toBeGreaterThan(2);
    expect(["Paris", "Oslo", "Lima"]).toContain(JSON.parse(calls[0].arguments).city);
    expect(usage?.completion_tokens).toBeGreaterThan(0);

    const helper = client.chat.completions.stream({ ...request, seed: 12 });
    const final = await helper.finalChatCompletion();
    const call = final.choices[0].message.tool_calls?.[0];
    if (call?.type !== "function") throw new Error("no function call");
    expect(call.function.name).toBe("get_weather");
    expect(["celsius", "fahrenheit"]).toContain(JSON.parse(call.function.arguments).unit);
  });

  it("refuses tools with a 400 the SDK raises as BadRequestError when the model cannot call functions, never answering with text", async () => {
    const client = sdk(plain);
    const err = await client.chat.completions
      .create({ model, messages: [{ role: "user", content: "weather?" }], tools: [weather], max_tokens: 4 })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.code).toBe("tools_not_supported");
    expect(e.param).toBe("tools");
    expect(e.message).toContain("cannot call functions");
    const streamed = await client.chat.completions
      .create({ model, messages: [{ role: "user", content: "weather?" }], tools: [weather], stream: true })
      .then(() => undefined, (x: unknown) => x);
    expect(streamed).toBeInstanceOf(OpenAI.BadRequestError);
    // tool_choice "none" asks for no call: that is served.
    const none = await client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], tools: [weather], tool_choice: "none", max_tokens: 3 });
    expect(none.choices[0].message.content).toBeTruthy();

    // A model the registry says does not call tools refuses them too, whatever its template.
    const barred = await startInferenceApp({ chatModel: inject("models").chatTools, contextSize: 2048, chatModelToolCalling: false });
    try {
      const refused = await sdk(barred)
        .chat.completions.create({ model, messages: [{ role: "user", content: "weather?" }], tools: [weather], max_tokens: 4 })
        .then(() => undefined, (x: unknown) => x);
      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      expect(refused as InstanceType<typeof OpenAI.BadRequestError>).toMatchObject({ code: "tools_not_supported", param: "tools" });
      expect((await (await fetch(`${barred.url}/status`)).json()).capabilities.toolCalling).toBe(false);
    } finally {
      await barred.close();
    }
  });

  it("names the field of a bad tool request in the SDK's typed error", async () => {
    const client = sdk(tools);
    const cases: [Omit<Parameters<typeof client.chat.completions.create>[0], "model">, string][] = [
      [{ messages: [{ role: "user", content: "x" }], tools: [weather], tool_choice: { type: "function", function: { name: "nope" } } }, "tool_choice.function.name"],
      [{ messages: [{ role: "user", content: "x" }], tools: [weather, weather] }, "tools[1].function.name"],
      [{ messages: [{ role: "user", content: "x" }, { role: "tool", tool_call_id: "call_1", content: "{}" }], tools: [weather] }, "messages[1].tool_call_id"],
      [{ messages: [{ role: "user", content: "x" }], tools: [weather], response_format: { type: "json_object" } }, "response_format"],
      [
        { messages: [{ role: "user", content: "x" }], tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: { a: { type: "bogus" } } } } }] },
        "tools[0].function.parameters.properties.a.type",
      ],
    ];
    for (const [body, param] of cases) {
      const err = await client.chat.completions.create({ ...body, model, stream: false }).then(() => undefined, (e: unknown) => e);
      expect(err, param).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).param, param).toBe(param);
    }
    const tooLong = await client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 5000 }).then(() => undefined, (e: unknown) => e);
    expect(tooLong).toBeInstanceOf(OpenAI.BadRequestError);
    expect((tooLong as Error).message).toMatch(/exceeds the context size of 2048 tokens/);
  });

  it("embeds with the SDK's default encoding (base64) and with float: the same vectors", async () => {
    const client = sdk(tools);
    const input = ["nix flakes pin their inputs", "bananas"];
    const byDefault = await client.embeddings.create({ model: "synthetic-tiny-chatml", input });
    const asFloat = await client.embeddings.create({ model: "synthetic-tiny-chatml", input, encoding_format: "float" });
    expect(byDefault.data).toHaveLength(2);
    expect(byDefault.data[0].embedding).toHaveLength(64);
    for (const i of [0, 1]) {
      byDefault.data[i].embedding.forEach((v, j) => expect(v).toBeCloseTo(asFloat.data[i].embedding[j], 6));
    }
    const raw = await client.embeddings.create({ model: "synthetic-tiny-chatml", input: "bananas", encoding_format: "base64" });
    expect(typeof raw.data[0].embedding).toBe("string");
    expect((await client.embeddings.create({ model: "synthetic-tiny-chatml", input: "x", dimensions: 64 })).data[0].embedding).toHaveLength(64);
    const shorter = await client.embeddings.create({ model: "synthetic-tiny-chatml", input: "x", dimensions: 32 }).then(() => undefined, (e: unknown) => e);
    expect(shorter).toBeInstanceOf(OpenAI.BadRequestError);
    expect((shorter as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("dimensions");
    const tokens = await client.embeddings.create({ model: "synthetic-tiny-chatml", input: [[1, 2, 3]] }).then(() => undefined, (e: unknown) => e);
    expect(tokens).toBeInstanceOf(OpenAI.BadRequestError);
    expect((tokens as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("input");
    expect((tokens as Error).message).toMatch(/token-array input is not supported/);
  });

  it("aborts mid-stream: the SDK stops, and the service frees the sequence", async () => {
    const controller = new AbortController();
    const stream = await sdk(tools).chat.completions.create(
      { model, messages: [{ role: "user", content: "go on" }], max_tokens: 1500, stream: true },
      { signal: controller.signal },
    );
    let pieces = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) pieces++;
      if (pieces === 3) controller.abort();
    }
    // The SDK ends the iteration quietly on the caller's abort; nothing came after it.
    expect(pieces).toBe(3);
    await expect(sdk(tools).chat.completions.create({ model, messages: [{ role: "user", content: "x" }] }, { signal: controller.signal })).rejects.toBeInstanceOf(
      OpenAI.APIUserAbortError,
    );
    await waitFor(async () => ((await (await fetch(`${tools.url}/status`)).json()).active_sequences === 0 ? true : undefined), 10_000, "sequence freed");
    expect(tools.logs.lines().some((l) => l.event === "client_disconnected")).toBe(true);
  });
});
