import { describe, expect, it } from "vitest";
import { scoreContextQuality, type ScoredSource } from "../../../services/coordinator/pipeline/scoreContextQuality.js";

const src = (score: number, vector: number | null = score, keyword: number | null = score): ScoredSource => ({ score, scores: { vector, keyword } });

function rng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

describe("scoreContextQuality", () => {
  it("is 0 without sources and 0 when every score is 0", () => {
    expect(scoreContextQuality([])).toBe(0);
    expect(scoreContextQuality([src(0), src(0)])).toBe(0);
  });

  it("is 1 for several perfect sources on which both methods agree", () => {
    expect(scoreContextQuality([src(1), src(1), src(1)])).toBeCloseTo(1, 10);
  });

  it("follows the documented formula", () => {
    // best 0.8; 2 of 3 strong; agreement max(min(0.9, 0.4), min(0.6, 0.6)) = 0.6.
    const value = scoreContextQuality([src(0.8, 0.9, 0.4), src(0.6, 0.6, 0.6), src(0.2)]);
    expect(value).toBeCloseTo(0.6 * 0.8 + 0.2 * (2 / 3) + 0.2 * 0.6, 10);
  });

  it("stays in [0, 1] for any input, including boosted, negative and non-finite scores", () => {
    const next = rng(1);
    const wild = () => [NaN, Infinity, -1, 3, next() * 2 - 0.5][Math.floor(next() * 5)];
    for (let i = 0; i < 500; i++) {
      const sources = Array.from({ length: Math.floor(next() * 10) }, () =>
        next() < 0.2 ? { score: wild() } : src(wild(), next() < 0.3 ? null : wild(), next() < 0.3 ? null : wild()),
      );
      const v = scoreContextQuality(sources);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(scoreContextQuality([src(2.5, 1, 1), src(5), src(9)])).toBe(1);
  });

  it("rises with the best score", () => {
    let last = -1;
    for (const s of [0.1, 0.3, 0.5, 0.7, 0.9]) {
      const v = scoreContextQuality([src(s, 0.2, 0.2), src(0.1)]);
      expect(v).toBeGreaterThan(last);
      last = v;
    }
  });

  it("rises with the number of strong sources, up to strongCount", () => {
    const values = [1, 2, 3, 4].map((n) => scoreContextQuality(Array.from({ length: n }, () => src(0.7, 0.7, 0.1))));
    expect(values[1]).toBeGreaterThan(values[0]);
    expect(values[2]).toBeGreaterThan(values[1]);
    expect(values[3]).toBe(values[2]);
    expect(scoreContextQuality([src(0.7), src(0.7)], { strongCount: 2 })).toBeGreaterThan(scoreContextQuality([src(0.7), src(0.7)]));
    expect(scoreContextQuality([src(0.45), src(0.45)], { strongScore: 0.4 })).toBeGreaterThan(scoreContextQuality([src(0.45), src(0.45)]));
  });

  it("rewards vector and keyword evidence that agree", () => {
    const oneSided = scoreContextQuality([src(0.6, 0.9, 0.1)]);
    const agreed = scoreContextQuality([src(0.6, 0.6, 0.6)]);
    expect(agreed).toBeGreaterThan(oneSided);
    expect(scoreContextQuality([src(0.6, 0.9, 0.5)])).toBeGreaterThan(oneSided);
  });

  it("uses the one method present, or the score when there is no breakdown", () => {
    expect(scoreContextQuality([src(0.6, null, 0.6)])).toBeCloseTo(scoreContextQuality([src(0.6, 0.6, 0.6)]), 10);
    expect(scoreContextQuality([{ score: 0.6 }])).toBeCloseTo(scoreContextQuality([src(0.6)]), 10);
  });

  it("never falls when a source is added or any score rises (randomised)", () => {
    const next = rng(9);
    for (let i = 0; i < 500; i++) {
      const sources = Array.from({ length: 1 + Math.floor(next() * 6) }, () => src(next() * 1.2, next() < 0.2 ? null : next(), next()));
      const base = scoreContextQuality(sources);
      expect(scoreContextQuality([...sources, src(next(), next(), next())])).toBeGreaterThanOrEqual(base);
      const j = Math.floor(next() * sources.length);
      const s = sources[j];
      const up = (x: number | null) => (x === null ? null : x + next() * 0.5);
      const raised = { score: s.score + next() * 0.5, scores: { vector: up(s.scores!.vector), keyword: up(s.scores!.keyword) } };
      expect(scoreContextQuality(sources.map((x, k) => (k === j ? raised : x)))).toBeGreaterThanOrEqual(base - 1e-12);
    }
  });
});
