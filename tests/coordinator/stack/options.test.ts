import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingest, post, startCoordinatorStack, type CoordinatorStack } from "../helpers/startCoordinatorStack.js";

const long = Array.from({ length: 30 }, (_, i) => `Garbage collection ${i} deletes unreachable store paths, and nix-collect-garbage -d ${i} removes old generations.`).join(" ");

describe("coordinator options", () => {
  let s: CoordinatorStack;
  beforeAll(async () => {
    s = await startCoordinatorStack({
      routing: { local_confidence_threshold: 0 },
      coordinator: { compressionEnabled: false, contextTokenBudget: 100, queryRewrite: true, queryRewriteTimeoutMs: 4000 },
    });
    await ingest(s.aidb.url, [{ project: "nix", title: "GC", text: long }]);
  }, 120_000);
  afterAll(async () => s?.close());

  it("compression switched off passes the context through, over the budget", async () => {
    const r = await post(`${s.url}/query`, { query: "how does garbage collection delete store paths?", project: "nix" });
    expect(r.status).toBe(200);
    expect(r.body.context.compressed).toBe(false);
    expect(r.body.context.tokens_after).toBe(r.body.context.tokens_before);
    expect(r.body.context.tokens_after).toBeGreaterThan(100);
  });

  it("query rewriting (on here) asks the local model for phrasings and the query still succeeds", async () => {
    const r = await post(`${s.url}/query`, { query: "how do I free disk space?", project: "nix" });
    expect(r.status).toBe(200);
    const logged = s.logs.lines().filter((l) => l.interaction_id === r.body.interaction_id && (l.event === "query_rewritten" || l.event === "query_rewrite_skipped"));
    // The synthetic model writes random words: either they become phrasings or the stage is skipped, never an error.
    expect(logged.length).toBe(1);
  });
});

describe("coordinator with a prompt the local model refuses as too long", () => {
  let s: CoordinatorStack;
  // Letter salad: the synthetic tokenizer spends about a token per character on it,
  // three times the coordinator's estimate, so the first prompt overflows a small context.
  const salad = Array.from({ length: 400 }, (_, i) => `qx${(i * 7919).toString(36)}zv`).join(" ");
  beforeAll(async () => {
    s = await startCoordinatorStack({ routing: { local_confidence_threshold: 0 }, localContextSize: 1024, coordinator: { compressionEnabled: false } });
    await ingest(s.aidb.url, [{ project: "salad", title: "Salad", text: `Salad facts: ${salad}` }]);
  }, 120_000);
  afterAll(async () => s?.close());

  it("retries with less retrieved context instead of failing", async () => {
    const r = await post(`${s.url}/query`, { query: "salad facts", project: "salad" });
    expect(r.status).toBe(200);
    const logged = s.logs.lines().filter((l) => l.event === "context_trimmed_for_model" && l.interaction_id === r.body.interaction_id);
    expect(logged.length).toBeGreaterThan(0);
    expect(r.body.context.tokens_after).toBeLessThan(r.body.context.tokens_before);
    expect(r.body.context.compressed).toBe(true);
  });
});
