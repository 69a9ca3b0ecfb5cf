import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { postJson, startInferenceApp, type RunningInference } from "../helpers/startInferenceApp.js";

let svc: RunningInference;
let bare: RunningInference;

beforeAll(async () => {
  const { embed, rerank, chatShort } = inject("models");
  svc = await startInferenceApp({ chatModel: chatShort, sequences: 1, embedModel: embed, rerankModel: rerank, maxInputsPerRequest: 64, contextSize: 512 });
  bare = await startInferenceApp({ chatModel: chatShort, sequences: 1 });
});
afterAll(async () => {
  await Promise.all([svc?.close(), bare?.close()]);
});

const embeddings = (input: unknown) => postJson(`${svc.url}/v1/embeddings`, { input });
const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

describe("POST /v1/embeddings", () => {
  it("returns one L2-normalised vector per input in order, with usage", async () => {
    const r = await embeddings(["the nix store", "a flake input", "the nix store"]);
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.object).toBe("list");
    expect(body.data.map((d: { index: number }) => d.index)).toEqual([0, 1, 2]);
    for (const d of body.data) {
      expect(d.object).toBe("embedding");
      expect(d.embedding).toHaveLength(64);
      expect(norm(d.embedding)).toBeCloseTo(1, 5);
    }
    expect(body.data[0].embedding).toEqual(body.data[2].embedding);
    expect(body.data[0].embedding).not.toEqual(body.data[1].embedding);
    expect(body.usage.prompt_tokens).toBeGreaterThan(3);
  });

  it("is deterministic across requests, batch positions and string/array input", async () => {
    const single = (await (await embeddings("hybrid search")).json()).data[0].embedding;
    const inBatch = (await (await embeddings(["something else", "hybrid search"])).json()).data[1].embedding;
    const concurrent = await Promise.all(Array.from({ length: 12 }, (_, i) => embeddings(i % 2 ? "hybrid search" : `filler ${i}`)));
    const fromConcurrent = (await concurrent[1].json()).data[0].embedding;
    expect(inBatch).toEqual(single);
    expect(fromConcurrent).toEqual(single);
    expect(cosine(single, single)).toBeCloseTo(1, 6);
  });

  it("batches concurrent requests", async () => {
    await Promise.all(Array.from({ length: 24 }, (_, i) => embeddings(`text number ${i}`)));
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    const count = Number(metrics.match(/^llama_embedding_batch_size_count\{[^}]*\} (\S+)$/m)?.[1]);
    const sum = Number(metrics.match(/^llama_embedding_batch_size_sum\{[^}]*\} (\S+)$/m)?.[1]);
    expect(sum / count).toBeGreaterThan(1.5);
  });

  it("refuses bad input, too many inputs and over-long texts with a 400", async () => {
    expect((await embeddings([])).status).toBe(400);
    expect((await embeddings(42)).status).toBe(400);
    const many = await embeddings(Array.from({ length: 65 }, () => "x"));
    expect(many.status).toBe(400);
    expect((await many.json()).error).toMatchObject({ code: "too_many_inputs", limit: 64, param: "input" });
    const atLimit = await embeddings(Array.from({ length: 64 }, () => "x"));
    expect(atLimit.status).toBe(200);
    const long = await embeddings(["short", "word ".repeat(2000)]);
    expect(long.status).toBe(400);
    const body = await long.json();
    expect(body.error).toMatchObject({ code: "input_too_long", param: "input[1]", index: 1 });
    expect(body.error.tokens).toBeGreaterThan(body.error.max_tokens);
  });

  it("answers 501 when no embedding model is loaded", async () => {
    const r = await postJson(`${bare.url}/v1/embeddings`, { input: "x" });
    expect(r.status).toBe(501);
    expect((await r.json()).error.message).toContain("--embed-model");
  });
});

describe("an embeddings-only instance (the ai-embeddings unit)", () => {
  it("serves embeddings and rerank, answers chat with 501 and is ready", async () => {
    const { embed, rerank } = inject("models");
    const only = await startInferenceApp({ chatModel: undefined, embedModel: embed, rerankModel: rerank, contextSize: 512 });
    try {
      expect((await fetch(`${only.url}/ready`)).status).toBe(200);
      expect((await postJson(`${only.url}/v1/embeddings`, { input: "x" })).status).toBe(200);
      const chat = await postJson(`${only.url}/v1/chat/completions`, { messages: [{ role: "user", content: "hi" }] });
      expect(chat.status).toBe(501);
      expect((await chat.json()).error.code).toBe("chat_not_configured");
      const s = await (await fetch(`${only.url}/status`)).json();
      expect(s.models.chat).toBeNull();
      expect(s.models.embed.loaded).toBe(true);
    } finally {
      await only.close();
    }
  });
});

describe("POST /v1/rerank", () => {
  const docs = ["nix flakes pin their inputs", "bananas are yellow", "the flake.lock file records revisions", "a cat sat"];

  it("scores every document and sorts by relevance", async () => {
    const r = await postJson(`${svc.url}/v1/rerank`, { query: "how do flakes pin inputs", documents: docs });
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.results).toHaveLength(4);
    expect(body.results.map((x: { index: number }) => x.index).sort()).toEqual([0, 1, 2, 3]);
    const scores = body.results.map((x: { relevance_score: number }) => x.relevance_score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const s of scores) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
    expect(new Set(scores).size).toBeGreaterThan(1);
    const again = await (await postJson(`${svc.url}/v1/rerank`, { query: "how do flakes pin inputs", documents: docs })).json();
    expect(again.results).toEqual(body.results);
  });

  it("honours top_n and return_documents", async () => {
    const body = await (await postJson(`${svc.url}/v1/rerank`, { query: "flake", documents: docs, top_n: 2, return_documents: true })).json();
    expect(body.results).toHaveLength(2);
    expect(body.results[0].document.text).toBe(docs[body.results[0].index]);
  });

  it("validates input", async () => {
    const r = await postJson(`${svc.url}/v1/rerank`, { query: "", documents: [] });
    expect(r.status).toBe(400);
    const paths = (await r.json()).error.fields.map((f: { path: string }) => f.path);
    expect(paths).toEqual(expect.arrayContaining(["body.query", "body.documents"]));
  });

  it("answers 501 with a clear message when no reranker is loaded", async () => {
    const r = await postJson(`${bare.url}/v1/rerank`, { query: "q", documents: ["d"] });
    expect(r.status).toBe(501);
    const body = await r.json();
    expect(body.error).toMatchObject({ code: "rerank_not_configured", type: "server_error" });
    expect(body.error.message).toContain("--rerank-model");
  });

  it("shows every model in /status and /v1/models", async () => {
    const s = await (await fetch(`${svc.url}/status`)).json();
    expect(s.models.embed).toMatchObject({ path: inject("models").embed, dimensions: 64, loaded: true });
    expect(s.models.rerank).toMatchObject({ path: inject("models").rerank, loaded: true });
    const m = await (await fetch(`${svc.url}/v1/models`)).json();
    expect(m.data.map((d: { role: string }) => d.role)).toEqual(["chat", "embedding", "rerank"]);
  });
});
