import { describe, expect, it } from "vitest";
import { EmbeddingBatcher } from "../../services/inference/EmbeddingBatcher.js";

function fakeEmbedder() {
  const batches: string[][] = [];
  return {
    batches,
    embed: async (texts: string[]) => {
      batches.push(texts);
      return texts.map((t) => [t.length]);
    },
  };
}

describe("EmbeddingBatcher", () => {
  it("merges concurrent requests into one batch and returns each caller its own vectors", async () => {
    const e = fakeEmbedder();
    const b = new EmbeddingBatcher({ embed: e.embed, maxLatencyMs: 20, maxSize: 100, enabled: true });
    const results = await Promise.all([b.embed(["a"]), b.embed(["bb", "ccc"]), b.embed(["dddd"])]);
    expect(results).toEqual([[[1]], [[2], [3]], [[4]]]);
    expect(e.batches).toEqual([["a", "bb", "ccc", "dddd"]]);
  });

  it("flushes as soon as maxSize texts wait, and splits larger requests", async () => {
    const e = fakeEmbedder();
    const b = new EmbeddingBatcher({ embed: e.embed, maxLatencyMs: 10_000, maxSize: 2, enabled: true });
    const started = Date.now();
    const results = await Promise.all([b.embed(["a", "bb", "ccc"])]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(results[0]).toEqual([[1], [2], [3]]);
    expect(e.batches).toEqual([["a", "bb"], ["ccc"]]);
  });

  it("embeds each request on its own when disabled", async () => {
    const e = fakeEmbedder();
    const b = new EmbeddingBatcher({ embed: e.embed, maxLatencyMs: 50, maxSize: 100, enabled: false });
    await Promise.all([b.embed(["a"]), b.embed(["b"])]);
    expect(e.batches).toEqual([["a"], ["b"]]);
  });

  it("fails every request of a failed batch and keeps working afterwards", async () => {
    let fail = true;
    const b = new EmbeddingBatcher({
      embed: async (texts) => {
        if (fail) throw new Error("boom");
        return texts.map(() => [0]);
      },
      maxLatencyMs: 5,
      maxSize: 10,
      enabled: true,
    });
    const r = await Promise.allSettled([b.embed(["a"]), b.embed(["b"])]);
    expect(r.map((x) => x.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    await expect(b.embed(["c"])).resolves.toEqual([[0]]);
  });
});
