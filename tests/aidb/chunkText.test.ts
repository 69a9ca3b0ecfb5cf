import { describe, expect, it } from "vitest";
import { chunkText } from "../../services/aidb/ingest/chunkText.js";

const countTokens = (t: string) => Math.ceil(t.trim().length / 4) || 1;

describe("chunkText", () => {
  it("keeps chunks within the token budget, overlaps them, and loses no word", () => {
    const words = Array.from({ length: 300 }, (_, i) => `word${i}`);
    const chunks = chunkText(words.join(" "), { chunkTokens: 40, overlapTokens: 8, countTokens });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.split(" ").reduce((n, w) => n + countTokens(w), 0)).toBeLessThanOrEqual(40);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i].split(" ").slice(0, 5)).toContain(chunks[i - 1].split(" ").at(-1));
    const seen = new Set(chunks.flatMap((c) => c.split(" ")));
    for (const w of words) expect(seen.has(w)).toBe(true);
  });

  it("splits a single word longer than a chunk, and gives nothing for blank text", () => {
    const blob = "x".repeat(1000);
    const chunks = chunkText(`start ${blob} end`, { chunkTokens: 50, overlapTokens: 0, countTokens });
    expect(chunks.join("").replace(/\s/g, "")).toBe(`start${blob}end`);
    for (const c of chunks) expect(countTokens(c)).toBeLessThanOrEqual(50);
    expect(chunkText("  \n\t ", { chunkTokens: 50, overlapTokens: 0, countTokens })).toEqual([]);
    expect(chunkText("short", { chunkTokens: 50, overlapTokens: 10, countTokens })).toEqual(["short"]);
  });
});
