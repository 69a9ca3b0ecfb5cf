import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildApp, type AidbApp } from "../../services/aidb/app.js";
import { aidbConfigSchema } from "../../services/aidb/aidbConfigSchema.js";
import { fingerprintId } from "../../services/aidb/embedder/Embedder.js";
import { captureLogger } from "../helpers/captureLogger.js";
import { startInferenceApp, type RunningInference } from "../helpers/startInferenceApp.js";
import { send } from "./helpers/startAidbApp.js";
import { openTestPglite, type TestDb } from "./helpers/testDb.js";

/**
 * The embedding model's prefixes (lib/models.json: nomic-embed-text's
 * `search_query: ` and `search_document: `), configured on aidb: a document
 * is embedded as prefix + text, a search query as its own prefix + text,
 * through the real inference service.
 */
describe("aidb with embedding prefixes, against the inference service", () => {
  let inference: RunningInference;
  let testDb: TestDb;
  let aidb: AidbApp & { url: string };
  const embed = async (text: string): Promise<number[]> => {
    const r = await fetch(`${inference.url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: text }) });
    return ((await r.json()) as { data: { embedding: number[] }[] }).data[0]!.embedding;
  };
  const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0) / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));

  beforeAll(async () => {
    inference = await startInferenceApp({ chatModel: undefined, embedModel: inject("models").embed });
    testDb = await openTestPglite();
    const config = aidbConfigSchema.parse({
      port: 0,
      embeddingsUrl: inference.url,
      embedQueryPrefix: "search_query: ",
      embedDocumentPrefix: "search_document: ",
    });
    const built = await buildApp({ config, logger: captureLogger("aidb-prefix").logger, db: testDb.db });
    await built.app.listen({ host: "127.0.0.1", port: 0 });
    aidb = { ...built, url: `http://127.0.0.1:${(built.app.server.address() as { port: number }).port}` };
  }, 60_000);
  afterAll(async () => {
    await aidb?.app.close();
    await testDb?.close();
    await inference?.close();
  });

  it("stores a document's vector as the inference service's embedding of document prefix + text, marked with the prefix", async () => {
    const text = "Garbage collection deletes unreachable store paths.";
    const r = await send(`${aidb.url}/documents`, "POST", { documents: [{ project: "p", title: "gc", text }] });
    expect(r.status).toBe(200);
    const rows = await testDb.db.query<{ embedding: string; model_fingerprint: string }>("SELECT embedding::text AS embedding, model_fingerprint FROM chunks");
    expect(rows.rows).toHaveLength(1);
    const stored = JSON.parse(rows.rows[0]!.embedding) as number[];
    const expected = await embed(`search_document: ${text}`);
    const without = await embed(text);
    expect(stored).toHaveLength(expected.length);
    stored.forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, 5));
    expect(cosine(stored, without)).toBeLessThan(0.9999);
    expect(rows.rows[0]!.model_fingerprint).toBe(fingerprintId({ ...aidb.runtime.queryEmbedder.fingerprint, documentPrefix: "search_document: " }));
    expect(rows.rows[0]!.model_fingerprint).toMatch(/:p[0-9a-f]{8}$/);
  });

  it("embeds a search query with the query prefix: its vector score is the cosine with the query prefix + text", async () => {
    const q = "what does garbage collection delete?";
    const r = await send(`${aidb.url}/search?q=${encodeURIComponent(q)}&mode=semantic&project=p`, "GET");
    expect(r.status).toBe(200);
    const hit = r.body.results[0];
    const doc = await embed("search_document: Garbage collection deletes unreachable store paths.");
    const withPrefix = cosine(await embed(`search_query: ${q}`), doc);
    const plain = cosine(await embed(q), doc);
    expect(withPrefix).not.toBeCloseTo(plain, 4);
    expect(hit.scores.vector).toBeCloseTo(Math.max(0, withPrefix), 4);
  });
});
