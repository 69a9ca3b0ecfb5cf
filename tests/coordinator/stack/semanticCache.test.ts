import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasRedisServer, startRedis, type RedisServer } from "../../helpers/startRedis.js";
import { getJson, ingest, post, startCoordinatorStack, type CoordinatorStack } from "../helpers/startCoordinatorStack.js";

const skip = !hasRedisServer();
if (skip) console.warn("semanticCache.test.ts: skipped, redis-server is not installed (apt-get install redis-server)");

describe.skipIf(skip)("coordinator semantic cache (real Redis)", () => {
  let redis: RedisServer;
  let s: CoordinatorStack;

  beforeAll(async () => {
    redis = await startRedis();
    // aidb shares the Redis so its ingests bump the cache stamps.
    s = await startCoordinatorStack({ redisUrl: redis.url, aidb: { redisUrl: redis.url }, routing: { local_confidence_threshold: 0 } });
    await ingest(s.aidb.url, [{ project: "nix", title: "Channels", text: "Channels are named nixpkgs snapshots updated with nix-channel --update." }]);
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    await redis?.stop();
  });

  const ask = (query: string, extra: Record<string, unknown> = {}) => post(`${s.url}/query`, { query, project: "nix", ...extra });

  it("answers a repeated question from the cache", async () => {
    const first = await ask("How do I update my channels?");
    expect(first.status).toBe(200);
    expect(first.body.cache).toEqual({ hit: false, variant: "A" });
    // The answer is stored after the response; wait for it.
    let again: Awaited<ReturnType<typeof ask>> | undefined;
    for (let i = 0; i < 50; i++) {
      again = await ask("How do I update my channels?");
      if (again.body.cache.hit) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(again!.body.cache).toMatchObject({ hit: true, variant: "A", kind: "exact" });
    expect(again!.body.response).toBe(first.body.response);
    expect(again!.body.routing.reason).toBe("semantic_cache_hit");
    expect(again!.body.interaction_id).not.toBe(first.body.interaction_id);
    expect(again!.body.timings.generate_ms).toBe(0);
    // Same words, other spacing and case: normalised to the same key.
    expect((await ask("  how do I UPDATE my   channels?")).body.cache.hit).toBe(true);
    // Another project is another scope.
    expect((await ask("How do I update my channels?", { project: "other" })).body.cache.hit).toBe(false);
    // A forced backend is never served from a plain question's entry.
    expect((await ask("How do I update my channels?", { force_local: true })).body.cache.hit).toBe(false);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/semantic_cache_hits_total\{[^}]*\} [1-9]/);
    expect(metrics).toMatch(/semantic_cache_misses_total\{[^}]*\} [1-9]/);
  });

  it("a weak question answered from the cache is still counted as a knowledge gap", async () => {
    const q = { query: "How do I configure a Tailscale exit node?", project: "empty-project" };
    await post(`${s.url}/query`, q);
    let hit = false;
    for (let i = 0; i < 50 && !hit; i++) {
      hit = (await post(`${s.url}/query`, q)).body.cache.hit;
      if (!hit) await new Promise((r) => setTimeout(r, 20));
    }
    expect(hit).toBe(true);
    await s.coordinator.runtime.store.close(); // flushes the batched records (the store stays usable)
    const before = (await getJson(`${s.url}/gaps`)).gaps[0].count;
    await post(`${s.url}/query`, q);
    let after = before;
    for (let i = 0; i < 50 && after === before; i++) {
      after = (await getJson(`${s.url}/gaps`)).gaps[0].count;
      if (after === before) await new Promise((r) => setTimeout(r, 20));
    }
    expect(after).toBe(before + 1);
  });

  it("the front door and /query never share answers", async () => {
    const q = "How do I update my channels?";
    const chat = await post(`${s.url}/v1/chat/completions`, { messages: [{ role: "user", content: q }], project: "nix" });
    expect(chat.status).toBe(200);
    expect(JSON.parse(chat.headers.get("x-ai-stack-routing")!).cache.hit).toBe(false);
  });

  it("the A/B variant is part of the key and reported", async () => {
    const config = s.coordinator.runtime.config;
    config.abVariantBFraction = 1;
    try {
      const b = await ask("How do I update my channels?");
      expect(b.body.cache).toEqual({ hit: false, variant: "B" });
      const logged = s.logs.lines().find((l) => l.event === "llm_backend_selected" && l.interaction_id === b.body.interaction_id);
      expect(logged).toMatchObject({ variant: "B" });
    } finally {
      config.abVariantBFraction = 0;
    }
  });

  it("ingesting a document into the project invalidates its entries", async () => {
    const q = "What are channels?";
    await ask(q);
    let hit = false;
    for (let i = 0; i < 50 && !hit; i++) {
      hit = (await ask(q)).body.cache.hit;
      if (!hit) await new Promise((r) => setTimeout(r, 20));
    }
    expect(hit).toBe(true);
    await ingest(s.aidb.url, [{ project: "nix", title: "Flakes vs channels", text: "Flakes replace channels with pinned inputs." }]);
    const after = await ask(q);
    expect(after.body.cache.hit).toBe(false);
    expect(after.body.context.sources.map((x: { title: string }) => x.title)).toContain("Flakes vs channels");
  });

  it("with Redis killed mid-run, queries still succeed and /status says why", async () => {
    await redis.kill();
    const t0 = performance.now();
    const r = await ask("Does this still work without Redis?");
    expect(r.status).toBe(200);
    expect(r.body.cache.hit).toBe(false);
    expect(r.body.response.length).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(5000);
    const st = await getJson(`${s.url}/status`);
    expect(st.dependencies.semantic_cache).toMatchObject({ enabled: true, healthy: false });
    expect(st.dependencies.semantic_cache.reason).toBeTruthy();
    expect(st.degraded.map((d: { dependency: string }) => d.dependency)).toContain("redis");
    expect(s.logs.lines().some((l) => l.semantic_cache_degraded === true || l.event === "semantic_cache_degraded")).toBe(true);
    // Repeated questions keep working (no cache, no errors).
    for (let i = 0; i < 3; i++) expect((await ask("Does this still work without Redis?")).status).toBe(200);
  });
});
