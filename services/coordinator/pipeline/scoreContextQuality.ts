export interface ScoredSource {
  /** aidb's final score: fused × decay × bonus (the bonus can lift it above 1). */
  score: number;
  /** aidb's per-method scores; null where that method did not score the chunk. */
  scores?: { vector: number | null; keyword: number | null };
}

export interface ContextQualityOptions {
  /** A source at or above this score counts as strong. Default 0.5. */
  strongScore?: number;
  /** How many strong sources make full support. Default 3. */
  strongCount?: number;
}

/** Weights of the three parts; they sum to 1. */
export const contextQualityWeights = { best: 0.6, support: 0.2, agreement: 0.2 } as const;

const unit = (x: number | null | undefined) => (typeof x === "number" && Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/**
 * The local-confidence score the router compares with its threshold: how
 * well the retrieved context can ground an answer, in [0, 1]. With every
 * score clamped to [0, 1] (non-finite scores count as 0):
 *
 *     0.6 · best + 0.2 · support + 0.2 · agreement
 *
 * - `best`: the highest source score;
 * - `support`: the number of sources scoring at least `strongScore`, over
 *   `strongCount`, capped at 1 (one lucky hit is weaker than several);
 * - `agreement`: the highest, over sources, of the lower of the vector and
 *   keyword scores, so it is high only when both methods found the same
 *   chunk. A source with only one method's score uses that one; a source
 *   without a breakdown uses its score.
 *
 * It is 0 with no sources, 1 when at least `strongCount` sources score 1
 * with full agreement, and never decreases when a source is added or any
 * score, vector score or keyword score rises.
 */
export function scoreContextQuality(sources: readonly ScoredSource[], opts: ContextQualityOptions = {}): number {
  if (sources.length === 0) return 0;
  const strongScore = opts.strongScore ?? 0.5;
  const strongCount = Math.max(1, opts.strongCount ?? 3);
  let best = 0;
  let strong = 0;
  let agreement = 0;
  for (const s of sources) {
    const score = unit(s.score);
    best = Math.max(best, score);
    if (score >= strongScore) strong += 1;
    const methods = [s.scores?.vector, s.scores?.keyword].filter((x): x is number => x !== null && x !== undefined);
    const evidence = methods.length > 0 ? Math.min(...methods.map(unit)) : score;
    agreement = Math.max(agreement, evidence);
  }
  const w = contextQualityWeights;
  const value = w.best * best + w.support * Math.min(1, strong / strongCount) + w.agreement * agreement;
  return Math.min(1, Math.max(0, value));
}
