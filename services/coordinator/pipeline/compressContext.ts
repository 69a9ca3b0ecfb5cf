import { splitSentences } from "./splitSentences.js";
import { truncateToTokens } from "./truncateToTokens.js";

export interface ContextPassage {
  id: string;
  text: string;
}

export interface CompressContextInput {
  query: string;
  /** Ranked passages, best first. */
  passages: ContextPassage[];
  budgetTokens: number;
  countTokens: (text: string) => number;
  /** `AI_CONTEXT_COMPRESSION_ENABLED`; when false the passages pass through. */
  enabled?: boolean;
}

export interface CompressedContext {
  /** The passages kept, best first, some possibly shortened. */
  passages: ContextPassage[];
  /** Sum of `countTokens` over the input passages. */
  tokensBefore: number;
  /** Sum of `countTokens` over the kept passages; at most the budget when enabled. */
  tokensAfter: number;
  /** Whether any passage was dropped or shortened. */
  compressed: boolean;
  /** What each stage that ran did, for the log. */
  steps: string[];
}

/** Word-set Jaccard similarity at or above which a lower-ranked passage is a near-duplicate. */
export const nearDuplicateJaccard = 0.85;

const stopwords = new Set(
  "a an and are as at be by can do does for from how i in is it of on or the to what when where which who why with you your".split(" "),
);

/** Lowercase words without stopwords, with a plural "s" taken off. */
function terms(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}_]+/gu)) {
    const w = m[0];
    if (stopwords.has(w)) continue;
    out.add(w.length > 3 && w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w);
  }
  return out;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const t of a) if (b.has(t)) shared += 1;
  return shared / (a.size + b.size - shared);
}

/**
 * Fits ranked passages into a token budget, in three stages, each only as
 * far as needed:
 * 1. **Dedupe** (always): drop empty passages, and any passage whose
 *    normalised text (case, whitespace) equals, or whose word set is at least
 *    `nearDuplicateJaccard` similar to, a higher-ranked one.
 * 2. **Extract** (when over budget): rank the sentences that contain query
 *    terms by how many distinct ones (then by passage rank and position), and
 *    keep the best that fit the budget; sentences without any query term are
 *    dropped. Each passage keeps its chosen sentences in their original
 *    order (joined by spaces), and passages left with none are dropped. When
 *    no sentence overlaps the query this stage changes nothing.
 * 3. **Truncate** (when still over): shorten the lowest-ranked passage to
 *    what the budget leaves it, at a sentence or word boundary, or drop it
 *    when nothing is left for it; repeat.
 *
 * Token totals are sums of `countTokens` per passage. When enabled the
 * result never exceeds the budget, and it keeps at least part of the best
 * passage whenever the budget is positive and there was text to keep. With
 * `enabled: false` the passages pass through unchanged.
 */
export function compressContext(input: CompressContextInput): CompressedContext {
  const { countTokens } = input;
  const budget = Math.floor(input.budgetTokens);
  const tokensBefore = input.passages.reduce((n, p) => n + countTokens(p.text), 0);
  if (input.enabled === false) {
    return { passages: input.passages, tokensBefore, tokensAfter: tokensBefore, compressed: false, steps: ["disabled"] };
  }
  const steps: string[] = [];

  // 1. Dedupe.
  let kept: { id: string; text: string; tokens: number; rank: number }[] = [];
  const seenText = new Set<string>();
  const seenTerms: Set<string>[] = [];
  let exact = 0;
  let near = 0;
  let empty = 0;
  for (const [rank, p] of input.passages.entries()) {
    const normal = p.text.toLowerCase().replace(/\s+/g, " ").trim();
    if (normal === "") {
      empty += 1;
      continue;
    }
    if (seenText.has(normal)) {
      exact += 1;
      continue;
    }
    const t = terms(p.text);
    if (seenTerms.some((s) => jaccard(s, t) >= nearDuplicateJaccard)) {
      near += 1;
      continue;
    }
    seenText.add(normal);
    seenTerms.push(t);
    kept.push({ id: p.id, text: p.text, tokens: countTokens(p.text), rank });
  }
  if (exact + near + empty > 0) steps.push(`dedupe: dropped ${exact} duplicate, ${near} near-duplicate, ${empty} empty`);
  const total = () => kept.reduce((n, p) => n + p.tokens, 0);

  // 2. Extract the sentences that overlap the query most.
  if (total() > budget && budget > 0) {
    const queryTerms = terms(input.query);
    const sentences = kept.flatMap((p, passage) =>
      splitSentences(p.text).map((text, position) => {
        let overlap = 0;
        for (const t of terms(text)) if (queryTerms.has(t)) overlap += 1;
        return { passage, position, text, overlap, tokens: countTokens(text) };
      }),
    );
    const order = sentences
      .filter((s) => s.overlap > 0)
      .sort((a, b) => b.overlap - a.overlap || a.passage - b.passage || a.position - b.position);
    const chosen = new Set<(typeof sentences)[number]>();
    let used = 0;
    for (const s of order) {
      if (used + s.tokens > budget) continue;
      chosen.add(s);
      used += s.tokens;
    }
    if (chosen.size > 0 && chosen.size < sentences.length) {
      kept = kept
        .map((p, passage) => {
          const text = sentences.filter((s) => s.passage === passage && chosen.has(s)).map((s) => s.text).join(" ");
          return { ...p, text, tokens: text ? countTokens(text) : 0 };
        })
        .filter((p) => p.text !== "");
      steps.push(`extract: kept ${chosen.size} of ${sentences.length} sentences`);
    }
  }

  // 3. Truncate from the lowest-ranked passage up.
  let shortened = 0;
  let dropped = 0;
  while (kept.length > 0 && total() > budget) {
    const last = kept[kept.length - 1];
    const room = budget - (total() - last.tokens);
    const text = room > 0 ? truncateToTokens(last.text, room, countTokens) : "";
    const tokens = text === "" ? 0 : countTokens(text);
    // Dropping also when a misbehaving tokenizer still overflows keeps the loop finite.
    if (text === "" || tokens > room) {
      kept.pop();
      dropped += 1;
    } else {
      kept[kept.length - 1] = { ...last, text, tokens };
      shortened += 1;
    }
  }
  if (shortened + dropped > 0) steps.push(`truncate: shortened ${shortened}, dropped ${dropped}`);

  const passages = kept.map(({ id, text }) => ({ id, text }));
  const compressed =
    passages.length !== input.passages.length || passages.some((p, i) => p.text !== input.passages[i].text || p.id !== input.passages[i].id);
  return { passages, tokensBefore, tokensAfter: total(), compressed, steps };
}
