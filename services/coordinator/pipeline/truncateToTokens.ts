/**
 * The longest prefix of `text` with at most `maxTokens` tokens, cut at a
 * word boundary (or, when the kept words end a sentence that keeps at least
 * half of them, at that sentence's end). Falls back to a cut between
 * characters when not even the first word fits. Returns "" only when not
 * even one character fits. Assumes `countTokens` grows with the prefix, and
 * checks the result anyway.
 */
export function truncateToTokens(text: string, maxTokens: number, countTokens: (s: string) => number): string {
  const trimmed = text.trim();
  if (maxTokens <= 0 || trimmed === "") return "";
  if (countTokens(trimmed) <= maxTokens) return trimmed;

  // Ends of words: cut points just after each run of non-space characters.
  const wordEnds = [...trimmed.matchAll(/\S+/g)].map((m) => m.index + m[0].length);
  let cut = largestFitting(wordEnds, (end) => trimmed.slice(0, end), maxTokens, countTokens);
  if (cut === null) {
    const chars = Array.from(trimmed);
    const ends: number[] = [];
    let at = 0;
    for (const c of chars) ends.push((at += c.length));
    cut = largestFitting(ends, (end) => trimmed.slice(0, end), maxTokens, countTokens);
    return cut === null ? "" : trimmed.slice(0, cut);
  }
  const kept = trimmed.slice(0, cut);
  // Prefer a sentence end when it does not waste more than half of the kept text.
  const sentenceEnds = [...kept.matchAll(/[.!?](?=\s)|\n/g)].map((m) => m.index + 1);
  const lastSentenceEnd = sentenceEnds.at(-1);
  if (lastSentenceEnd !== undefined && lastSentenceEnd >= kept.length / 2) return kept.slice(0, lastSentenceEnd).trim();
  return kept;
}

/** Binary search for the last cut point whose prefix fits, then a check downwards. */
function largestFitting(
  cuts: number[],
  prefix: (cut: number) => string,
  max: number,
  countTokens: (s: string) => number,
): number | null {
  let lo = 0;
  let hi = cuts.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (countTokens(prefix(cuts[mid])) <= max) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // A tokenizer that is not monotonic could make the search overshoot.
  while (best >= 0 && countTokens(prefix(cuts[best])) > max) best -= 1;
  return best >= 0 ? cuts[best] : null;
}
