export interface ScoringConfig {
  decayAfterDays: number;
  decayFactor: number;
  strongDecayAfterDays: number;
  strongDecayFactor: number;
  recentAccessDays: number;
  recentAccessBonus: number;
  feedbackBonus: number;
}

const dayMs = 24 * 3600 * 1000;

/** Age multiplier: 1, then decayFactor after decayAfterDays, strongDecayFactor after strongDecayAfterDays. */
export function decayFor(ingestedAt: Date, now: Date, c: ScoringConfig): number {
  const ageDays = (now.getTime() - ingestedAt.getTime()) / dayMs;
  if (ageDays > c.strongDecayAfterDays) return c.strongDecayFactor;
  if (ageDays > c.decayAfterDays) return c.decayFactor;
  return 1;
}

/**
 * Bonus multiplier: recentAccessBonus when the document was returned by a
 * search within recentAccessDays (ingestion alone is not an access), times
 * feedbackBonus when it has positive feedback.
 */
export function bonusFor(doc: { ingestedAt: Date; lastAccessedAt: Date; positiveFeedback: boolean }, now: Date, c: ScoringConfig): number {
  const accessed = doc.lastAccessedAt.getTime() > doc.ingestedAt.getTime();
  const recent = accessed && now.getTime() - doc.lastAccessedAt.getTime() <= c.recentAccessDays * dayMs;
  return (recent ? c.recentAccessBonus : 1) * (doc.positiveFeedback ? c.feedbackBonus : 1);
}
