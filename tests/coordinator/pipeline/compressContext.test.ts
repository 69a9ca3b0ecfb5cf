import { describe, expect, it } from "vitest";
import { compressContext } from "../../../services/coordinator/pipeline/compressContext.js";
import { truncateToTokens } from "../../../services/coordinator/pipeline/truncateToTokens.js";
import { splitSentences } from "../../../services/coordinator/pipeline/splitSentences.js";

const words = (s: string) => (s.match(/\S+/g) ?? []).length;
const chars4 = (s: string) => Math.ceil(s.length / 4);

/** Deterministic PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const vocab = "flake nix module option overlay gguf quantization vram cache inference token model server systemd unit derivation store path".split(" ");

function randomText(next: () => number, sentences: number): string {
  const out: string[] = [];
  for (let i = 0; i < sentences; i++) {
    const n = 1 + Math.floor(next() * 15);
    const ws = Array.from({ length: n }, () => vocab[Math.floor(next() * vocab.length)]);
    if (next() < 0.05) ws.push("x".repeat(1 + Math.floor(next() * 80))); // a long blob
    out.push(ws.join(" ") + (next() < 0.8 ? "." : "\n"));
  }
  return out.join(" ");
}

describe("splitSentences", () => {
  it("splits at sentence ends and line breaks but not at dots inside words", () => {
    expect(splitSentences("Edit flake.nix first. Then run it!\n- a list item\nWhy 3.5? Done")).toEqual([
      "Edit flake.nix first.",
      "Then run it!",
      "- a list item",
      "Why 3.5?",
      "Done",
    ]);
  });
});

describe("truncateToTokens", () => {
  it("cuts at a word boundary within the limit", () => {
    expect(truncateToTokens("one two three four five", 3, words)).toBe("one two three");
  });
  it("prefers a sentence end that keeps at least half the text", () => {
    expect(truncateToTokens("One two three. Four five six", 5, words)).toBe("One two three.");
    expect(truncateToTokens("One. Two three four five six", 5, words)).toBe("One. Two three four five");
  });
  it("cuts inside a word that alone is over the limit", () => {
    const r = truncateToTokens("x".repeat(100), 5, chars4);
    expect(r).toBe("x".repeat(20));
  });
  it("returns the text when it fits and nothing when the limit is zero", () => {
    expect(truncateToTokens("  fits  ", 3, words)).toBe("fits");
    expect(truncateToTokens("a b", 0, words)).toBe("");
  });
});

describe("compressContext", () => {
  const p = (id: string, text: string) => ({ id, text });

  it("passes everything through when disabled, even over budget", () => {
    const passages = [p("a", "one two three"), p("b", "one two three")];
    const r = compressContext({ query: "q", passages, budgetTokens: 2, countTokens: words, enabled: false });
    expect(r.passages).toEqual(passages);
    expect(r.tokensBefore).toBe(6);
    expect(r.tokensAfter).toBe(6);
    expect(r.compressed).toBe(false);
  });

  it("leaves context under budget and without duplicates alone", () => {
    const passages = [p("a", "alpha beta"), p("b", "gamma delta")];
    const r = compressContext({ query: "alpha", passages, budgetTokens: 100, countTokens: words });
    expect(r).toMatchObject({ passages, tokensBefore: 4, tokensAfter: 4, compressed: false, steps: [] });
  });

  it("drops exact and near duplicates, keeping the higher-ranked copy", () => {
    const base = "the flake input pins nixpkgs to a revision in flake.lock so builds are reproducible across machines and time";
    const r = compressContext({
      query: "flake",
      passages: [p("a", base), p("b", "  THE flake input   pins nixpkgs to a revision in flake.lock so builds are reproducible across machines and time "), p("c", base + " indeed"), p("d", "something else entirely"), p("e", "  ")],
      budgetTokens: 1000,
      countTokens: words,
    });
    expect(r.passages.map((x) => x.id)).toEqual(["a", "d"]);
    expect(r.compressed).toBe(true);
    expect(r.steps[0]).toMatch(/1 duplicate, 1 near-duplicate, 1 empty/);
  });

  it("keeps the sentences that overlap the query, in their original order", () => {
    const r = compressContext({
      query: "How do I set the GGUF quantization?",
      passages: [
        p("a", "Weather is nice today. Quantization to Q4_K_M shrinks a GGUF file. Cats sleep a lot. Pick the quantization by VRAM."),
        p("b", "Unrelated filler sentence here. More filler without any match at all."),
      ],
      budgetTokens: 16,
      countTokens: words,
    });
    expect(r.passages).toEqual([p("a", "Quantization to Q4_K_M shrinks a GGUF file. Pick the quantization by VRAM.")]);
    expect(r.tokensAfter).toBeLessThanOrEqual(16);
    expect(r.steps.some((s) => s.startsWith("extract"))).toBe(true);
  });

  it("truncates the lowest-ranked passage when sentences alone cannot fit", () => {
    // One sentence per passage, each larger than what is left for it.
    const r = compressContext({
      query: "nothing matches",
      passages: [p("a", "a1 a2 a3 a4 a5 a6"), p("b", "b1 b2 b3 b4 b5 b6"), p("c", "c1 c2 c3 c4 c5 c6")],
      budgetTokens: 9,
      countTokens: words,
    });
    expect(r.passages).toEqual([p("a", "a1 a2 a3 a4 a5 a6"), p("b", "b1 b2 b3")]);
    expect(r.tokensAfter).toBe(9);
  });

  it("shortens a single huge passage rather than returning nothing", () => {
    const r = compressContext({ query: "q", passages: [p("a", "x".repeat(4000))], budgetTokens: 10, countTokens: chars4 });
    expect(r.passages).toHaveLength(1);
    expect(r.tokensAfter).toBeGreaterThan(0);
    expect(r.tokensAfter).toBeLessThanOrEqual(10);
  });

  it("keeps nothing with a zero budget", () => {
    const r = compressContext({ query: "q", passages: [p("a", "some text")], budgetTokens: 0, countTokens: words });
    expect(r.passages).toEqual([]);
    expect(r.tokensAfter).toBe(0);
    expect(r.compressed).toBe(true);
  });

  it("compresses more than 2000 tokens of context below the budget", () => {
    const next = rng(7);
    const passages = Array.from({ length: 12 }, (_, i) => p(`d${i}`, randomText(next, 40)));
    const r = compressContext({ query: "which GGUF quantization fits my VRAM?", passages, budgetTokens: 1500, countTokens: chars4 });
    expect(r.tokensBefore).toBeGreaterThan(2000);
    expect(r.tokensAfter).toBeLessThan(r.tokensBefore);
    expect(r.tokensAfter).toBeLessThanOrEqual(1500);
    expect(r.compressed).toBe(true);
    // The sentences it keeps are mostly about the query.
    const kept = r.passages.flatMap((x) => splitSentences(x.text));
    const relevant = kept.filter((s) => /gguf|quantization|vram/i.test(s)).length;
    expect(relevant / kept.length).toBeGreaterThan(0.9);
  });

  it("never exceeds the budget and never comes back empty with a positive budget (randomised)", () => {
    const next = rng(42);
    for (let trial = 0; trial < 300; trial++) {
      const count = next() < 0.5 ? words : chars4;
      const passages = Array.from({ length: Math.floor(next() * 8) }, (_, i) => {
        const text = randomText(next, Math.floor(next() * 10));
        return p(`p${i}`, next() < 0.15 && i > 0 ? text.toUpperCase() : text);
      });
      const budgetTokens = Math.floor(next() * 200);
      const r = compressContext({ query: randomText(next, 1), passages, budgetTokens, countTokens: count });
      const label = `trial ${trial}`;
      expect(r.tokensAfter, label).toBeLessThanOrEqual(budgetTokens);
      expect(r.tokensAfter, label).toBe(r.passages.reduce((n, x) => n + count(x.text), 0));
      expect(r.tokensBefore, label).toBe(passages.reduce((n, x) => n + count(x.text), 0));
      const hadText = passages.some((x) => x.text.trim() !== "");
      if (hadText && budgetTokens > 0) expect(r.passages.length, label).toBeGreaterThan(0);
      // Kept passages keep their rank order and ids.
      const ids = passages.map((x) => x.id);
      const at = r.passages.map((x) => ids.indexOf(x.id));
      expect(at, label).toEqual([...at].sort((a, b) => a - b));
      expect(at.every((i) => i >= 0), label).toBe(true);
    }
  });
});
