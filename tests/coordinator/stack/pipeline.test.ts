import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeSecrets } from "../../aidb/helpers/fakeSecrets.js";
import { waitFor } from "../../helpers/startInferenceApp.js";
import { getJson, ingest, post, sseEvents, startCoordinatorStack, type CoordinatorStack } from "../helpers/startCoordinatorStack.js";

const sentence = (i: number) =>
  `Flake inputs are pinned in flake.lock file number ${i}, and nix flake update refreshes the lock for input ${i} while follows deduplicates nixpkgs ${i}.`;

describe("coordinator pipeline", () => {
  let s: CoordinatorStack;
  let docIds: string[];

  beforeAll(async () => {
    s = await startCoordinatorStack({ routing: { local_confidence_threshold: 0 }, rerank: true, coordinator: { contextTokenBudget: 400, retrievalLimit: 20 }, aidb: { chunkTokens: 512 } });
    // Over 2000 estimated tokens of relevant context (3 characters per token).
    const long = Array.from({ length: 40 }, (_, i) => sentence(i)).join(" ");
    docIds = await ingest(s.aidb.url, [
      { project: "nix", title: "Flake inputs A", text: long },
      { project: "nix", title: "Flake inputs B", text: long.replaceAll("Flake", "The flake") },
      { project: "nix", title: "Flake inputs C", text: long.replaceAll("refreshes", "rewrites") },
      { project: "nix", title: "Flake inputs D", text: long.replaceAll("deduplicates", "shares") },
      { project: "nix", title: "Modules", text: "A NixOS module declares options and sets config. Modules are merged by the module system." },
    ]);
  }, 120_000);
  afterAll(async () => s?.close());

  it("compresses more than 2000 tokens of context into the budget", async () => {
    const r = await post(`${s.url}/query`, { query: "how does flake.lock pin flake inputs?", project: "nix" });
    expect(r.status).toBe(200);
    const c = r.body.context;
    expect(c.tokens_before).toBeGreaterThan(2000);
    expect(c.tokens_after).toBeLessThan(c.tokens_before);
    expect(c.tokens_after).toBeLessThanOrEqual(400);
    expect(c.compressed).toBe(true);
    expect(c.rerank.applied).toBe(true);
    expect(c.sources.length).toBeGreaterThan(0);
    expect(c.sources[0]).toHaveProperty("rerank_score");
    const logged = s.logs.lines().find((l) => l.event === "context_compression" && l.interaction_id === r.body.interaction_id)!;
    expect(logged.msg).toBe(`context_compression tokens_before=${c.tokens_before} tokens_after=${c.tokens_after}`);
    expect(await (await fetch(`${s.url}/metrics`)).text()).toMatch(/context_compression_tokens_after_count\{[^}]*\} [1-9]/);
  });

  it("streams tokens and ends with done and [DONE]", async () => {
    const r = await fetch(`${s.url}/query`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "what does a module declare?", stream: true }) });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/text\/event-stream/);
    const events = sseEvents(await r.text()) as any[];
    expect(events[0]).toMatchObject({ type: "meta", backend: "local", cache: { hit: false } });
    const tokens = events.filter((e) => e.type === "token");
    expect(tokens.length).toBeGreaterThan(0);
    const done = events.at(-2);
    expect(done).toMatchObject({ type: "done", interaction_id: events[0].interaction_id, finish_reason: "stop" });
    expect(done.timings.generate_ms).toBeGreaterThan(0);
    expect(events.at(-1)).toBe("[DONE]");
    // The streamed interaction is recorded like any other.
    await waitFor(async () => (await s.coordinator.runtime.store.get(events[0].interaction_id)) ?? undefined, 5000, "streamed interaction recorded");
  });

  it("feedback: 200 links the rating to the documents used, 404 unknown id, 400 bad rating or id", async () => {
    const q = await post(`${s.url}/query`, { query: "how does flake.lock pin flake inputs?", project: "nix" });
    const id = q.body.interaction_id;
    const ok = await post(`${s.url}/feedback/${id}`, { rating: 1, note: "good answer" });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ recorded: true, interaction_id: id, rating: 1 });
    expect(ok.body.documents_linked).toBeGreaterThan(0);
    expect(ok.body.documents_linked).toBe(ok.body.documents);
    const stored = await waitFor(() => s.coordinator.runtime.store.get(id), 5000, "interaction stored");
    expect(stored!.feedback).toEqual([expect.objectContaining({ rating: 1, note: "good answer" })]);
    // aidb now knows a document had positive feedback.
    const used = stored!.document_ids[0]!;
    expect(docIds).toContain(used);
    expect((await getJson(`${s.aidb.url}/documents/${used}`)).positive_feedback).toBeGreaterThan(0);

    const unknown = await post(`${s.url}/feedback/00000000-0000-4000-8000-000000000000`, { rating: -1 });
    expect(unknown.status).toBe(404);
    const bad = await post(`${s.url}/feedback/${id}`, { rating: 5 });
    expect(bad.status).toBe(400);
    expect(bad.body.fields[0].path).toBe("body.rating");
    const badId = await post(`${s.url}/feedback/not-a-uuid`, { rating: 1 });
    expect(badId.status).toBe(400);
    expect(badId.body.fields[0].path).toMatch(/interaction_id/);
  });

  it("records a knowledge gap for weak retrieval and lists it", async () => {
    // A project with no documents: nothing is found, best score 0.
    for (let i = 0; i < 2; i++) await post(`${s.url}/query`, { query: "How do I set up Tailscale exit nodes?", project: "empty-project" });
    await post(`${s.url}/query`, { query: "what is a derivation", project: "empty-project" });
    const gaps = await waitFor(async () => {
      const g = await getJson(`${s.url}/gaps?days=7`);
      return g.gaps.length >= 2 ? g : undefined;
    }, 5000, "gaps recorded");
    expect(gaps.gaps[0]).toMatchObject({ count: 2, collection_searched: "empty-project", query_text: "How do I set up Tailscale exit nodes?" });
    expect(gaps.gaps[0].best_score).toBeLessThan(0.4);
    expect((await fetch(`${s.url}/gaps?days=0`)).status).toBe(400);
  });

  it("strips invisible characters, logs input_sanitized and refuses overlong queries", async () => {
    const r = await post(`${s.url}/query`, { query: "what\u200b is\u202e a\u0000 module?" });
    expect(r.status).toBe(200);
    const logged = s.logs.lines().find((l) => l.event === "input_sanitized" && l.interaction_id === r.body.interaction_id);
    expect(logged).toMatchObject({ input_sanitized: true, chars_removed: 3 });
    const long = await post(`${s.url}/query`, { query: "x".repeat(4001) });
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ error: "query_too_long", fields: [{ path: "body.query" }] });
    // At the limit: accepted (aidb gets the first 2000 characters to search with).
    // Common words are one token each in the synthetic vocabulary, so this fits the 2048-token context.
    const atLimit = "the of and to in is that it for ".repeat(125);
    expect(atLimit.length).toBe(4000);
    const exactly = await post(`${s.url}/query`, { query: atLimit });
    expect(exactly.status).toBe(200);
    expect(exactly.body.context.retrieval_error, exactly.body.context.retrieval_error).toBeUndefined();
  });

  it.each([
    ["missing query", {}, "body.query"],
    ["empty query", { query: "" }, "body.query"],
    ["only invisible characters", { query: "\u200b\u200b" }, "body.query"],
    ["query not a string", { query: 42 }, "body.query"],
    ["unknown field", { query: "q", force_locl: true }, "body"],
    ["both force flags", { query: "q", force_local: true, force_remote: true }, "body.force_local"],
    ["bad response_format", { query: "q", response_format: { type: "yaml" } }, "body.response_format.type"],
    ["stream not boolean", { query: "q", stream: "yes" }, "body.stream"],
    ["empty project", { query: "q", project: " " }, "body.project"],
  ])("bad input (%s) is a 400 naming the field", async (_name, body, field) => {
    const r = await post(`${s.url}/query`, body);
    expect(r.status).toBe(400);
    expect(r.body.fields.map((f: { path: string }) => f.path)).toContain(field);
  });

  it("a body that is not JSON is a 400", async () => {
    const r = await post(`${s.url}/query`, "{not json");
    expect(r.status).toBe(400);
  });

  it("appends each interaction to the telemetry JSONL with secrets redacted", async () => {
    const [kind, secret, line] = fakeSecrets[0]!;
    const r = await post(`${s.url}/query`, { query: `why does ${line} not work?` });
    expect(r.status).toBe(200);
    await s.coordinator.runtime.telemetry.flush();
    const file = join(s.stateDir, "telemetry.jsonl");
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(secret);
    const record = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .find((x) => x.interaction_id === r.body.interaction_id);
    expect(record).toMatchObject({ type: "interaction", backend: "local", status: "ok" });
    expect(record.query).toContain(`[REDACTED:${kind}]`);
    const stored = await waitFor(() => s.coordinator.runtime.store.get(r.body.interaction_id), 5000, "interaction stored");
    expect(stored.query_text).not.toContain(secret);
  });
});

describe("coordinator front door (/v1/chat/completions)", () => {
  let s: CoordinatorStack;
  beforeAll(async () => {
    s = await startCoordinatorStack({ remote: true, routing: { local_confidence_threshold: 0 } });
    await ingest(s.aidb.url, [{ project: "nix", title: "GC", text: "nix-collect-garbage deletes unreachable store paths." }]);
  }, 120_000);
  afterAll(async () => s?.close());

  const chat = (content: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    post(`${s.url}/v1/chat/completions`, { model: "ai-stack", messages: [{ role: "user", content }], ...extra }, headers);

  it("answers an OpenAI request with retrieval and the routing in a header", async () => {
    const r = await chat("how do I collect garbage?", { project: "nix" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ object: "chat.completion", model: "ai-stack", choices: [{ index: 0, message: { role: "assistant" } }] });
    expect(r.body.choices[0].message.content.length).toBeGreaterThan(0);
    const routing = JSON.parse(r.headers.get("x-ai-stack-routing")!);
    expect(routing).toMatchObject({ backend: "local", reason: "context_quality_ok", retrieval: "hybrid", sources: 1 });
  });

  it("retrieval can be turned off per request, in the body or by header", async () => {
    const body = await chat("hello there", { retrieval: false });
    expect(JSON.parse(body.headers.get("x-ai-stack-routing")!)).toMatchObject({ reason: "retrieval_disabled", retrieval: "disabled", sources: 0 });
    const header = await chat("hello again", {}, { "x-ai-stack-retrieval": "off" });
    expect(JSON.parse(header.headers.get("x-ai-stack-routing")!)).toMatchObject({ retrieval: "disabled" });
  });

  it("streams OpenAI chunks ending in [DONE], from the remote when forced", async () => {
    const r = await fetch(`${s.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "stream please" }], stream: true, force_remote: true }),
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.headers.get("x-ai-stack-routing")!)).toMatchObject({ backend: "remote", reason: "force_remote" });
    const events = sseEvents(await r.text()) as any[];
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1);
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("").length).toBeGreaterThan(0);
    expect(chunks.at(-1).choices[0].finish_reason).toBe("stop");
  });

  it.each([
    ["no messages", { messages: [] }, "body.messages"],
    ["no user message", { messages: [{ role: "system", content: "x" }] }, "body.messages"],
    ["bad role", { messages: [{ role: "robot", content: "x" }] }, "body.messages[0].role"],
    ["temperature out of range", { messages: [{ role: "user", content: "x" }], temperature: 5 }, "body.temperature"],
    ["n other than 1", { messages: [{ role: "user", content: "x" }], n: 3 }, "body.n"],
  ])("bad input (%s) is a 400 naming the field", async (_name, body, field) => {
    const r = await post(`${s.url}/v1/chat/completions`, body);
    expect(r.status).toBe(400);
    // OpenAI's error shape, the fields inside it.
    expect(r.body.error.fields.map((f: { path: string }) => f.path)).toContain(field);
  });
});

describe("coordinator with aidb down", () => {
  let s: CoordinatorStack;
  beforeAll(async () => {
    s = await startCoordinatorStack({ routing: { local_confidence_threshold: 0 } });
  }, 120_000);
  afterAll(async () => s?.close());

  it("answers without context, says why, and reports aidb degraded in /status", async () => {
    await s.aidb.close();
    const r = await post(`${s.url}/query`, { query: "what is a flake?" });
    expect(r.status).toBe(200);
    expect(r.body.context.retrieval_error).toMatch(/aidb/);
    expect(r.body.context.sources).toEqual([]);
    const st = await getJson(`${s.url}/status`);
    expect(st.dependencies.aidb.ok).toBe(false);
    expect(st.degraded.map((d: { dependency: string }) => d.dependency)).toContain("aidb");
    expect(s.logs.lines().some((l) => l.event === "retrieval_degraded")).toBe(true);
    // Gaps live in aidb's database: unavailable while aidb is down, said plainly.
    const gaps = await fetch(`${s.url}/gaps`);
    expect(gaps.status).toBe(503);
    expect((await gaps.json()).message).toMatch(/aidb/);
  });
});
