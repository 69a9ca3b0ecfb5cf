import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { QueryEmbedder } from "../../../services/coordinator/clients/createQueryEmbedder.js";
import { hasRedisServer, startRedis, type RedisServer } from "../../helpers/startRedis.js";
import { waitFor } from "../../helpers/startInferenceApp.js";
import { getJson, post, startCoordinatorStack, type CoordinatorStack } from "../helpers/startCoordinatorStack.js";

const skip = !hasRedisServer();
if (skip) console.warn("registryFacts.test.ts: skipped, redis-server is not installed (apt-get install redis-server)");

/**
 * Facts of the models driving the coordinator: the chat model's identity
 * scopes the semantic cache, the embedding model's query prefix goes before
 * a question embedded for the cache, and the chat model's structured-output
 * capability (from the inference service's /status) routes response_format
 * requests.
 */
describe.skipIf(skip)("the coordinator reads the models' facts (real Redis, real inference)", () => {
  let redis: RedisServer;
  let s: CoordinatorStack;
  const embedded: string[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    s = await startCoordinatorStack({
      redisUrl: redis.url,
      aidb: { redisUrl: redis.url },
      remote: true,
      routing: { local_confidence_threshold: 0 },
      coordinator: { embedQueryPrefix: "search_query: " },
      local: { chatModelStructuredOutput: false },
    });
    // Record what the semantic cache embeds.
    const rt = s.coordinator.runtime;
    const inner: QueryEmbedder = rt.embedder;
    rt.embedder = { ...inner, embed: (text, signal) => (embedded.push(text), inner.embed(text, signal)) };
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    await redis?.stop();
  });

  // local_confidence_threshold 0: every plain question stays local.
  const ask = (query: string, extra: Record<string, unknown> = {}) => post(`${s.url}/query`, { query, ...extra });
  /** Asks until the answer stored after the previous one is found (stores happen after the response). */
  const askUntilHit = async (query: string) => {
    for (let i = 0; i < 100; i++) {
      const r = await ask(query);
      if (r.body.cache?.hit) return r;
      await new Promise((res) => setTimeout(res, 20));
    }
    throw new Error(`no cache hit for ${query}`);
  };

  it("embeds a question for the cache with the embedding model's query prefix: the vector is the inference service's for prefix + question", async () => {
    embedded.length = 0;
    const r = await ask("what does nix-collect-garbage delete?");
    expect(r.status).toBe(200);
    expect(embedded).toEqual(["search_query: what does nix-collect-garbage delete?"]);
    const direct = await post(`${s.local.url}/v1/embeddings`, { input: "search_query: what does nix-collect-garbage delete?" });
    const plain = await post(`${s.local.url}/v1/embeddings`, { input: "what does nix-collect-garbage delete?" });
    const viaCoordinator = await s.coordinator.runtime.embedder.embed("search_query: what does nix-collect-garbage delete?");
    expect(viaCoordinator).toEqual(direct.body.data[0].embedding);
    expect(viaCoordinator).not.toEqual(plain.body.data[0].embedding);
  });

  it("misses the cache after the local chat model changes, and caches the new model's answers apart", async () => {
    const q = "how are flake inputs pinned?";
    const first = await ask(q);
    expect(first.body.cache.hit).toBe(false);
    expect(first.body.backend).toBe("local");
    const hit = await askUntilHit(q);
    expect(hit.body.response).toBe(first.body.response);

    const before = (await getJson(`${s.local.url}/status`)).model_sha256;
    const reload = await post(`${s.local.url}/reload-model`, { model: inject("models").chatAlt });
    expect(reload.status).toBe(200);
    await waitFor(async () => ((await getJson(`${s.local.url}/status`)).healthy ? true : undefined), 20_000, "the new model");
    expect((await getJson(`${s.local.url}/status`)).model_sha256).not.toBe(before);

    const afterChange = await ask(q);
    expect(afterChange.body.cache.hit).toBe(false);
    expect(afterChange.body.backend).toBe("local");
    // The new model's answer is cached under its own identity.
    const again = await askUntilHit(q);
    expect(again.body.response).toBe(afterChange.body.response);

    // Back to the first model: its answers are there again (they were kept, only out of scope).
    await post(`${s.local.url}/reload-model`, { model: inject("models").chatShort });
    await waitFor(async () => ((await getJson(`${s.local.url}/status`)).model_sha256 === before ? true : undefined), 20_000, "the first model");
    const back = await ask(q);
    expect(back.body.cache.hit).toBe(true);
    expect(back.body.response).toBe(first.body.response);
  });

  it("sends structured output to the remote when the local model's capabilities say it cannot follow a schema", async () => {
    const status = await getJson(`${s.local.url}/status`);
    expect(status.capabilities).toMatchObject({ structuredOutput: false });
    const r = await ask("list two nix commands", { response_format: { type: "json_object" } });
    expect(r.status).toBe(200);
    expect(r.body.backend).toBe("remote");
    expect(r.body.routing).toMatchObject({ reason: "structured_output_required", routing_override: "structured_output_required" });
  });
});
