/** The vocabulary of lib/query-expansion.json: each term with its synonyms. */
export interface BucketVocabulary {
  terms: Record<string, readonly string[]>;
}

/** The bucket of a question that names no term of the vocabulary. */
export const generalBucket = "general";

interface Compiled {
  term: string;
  patterns: RegExp[];
}

const compiled = new WeakMap<BucketVocabulary, Compiled[]>();
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const phrase = (s: string) => s.trim().split(/\s+/).map(escape).join("\\s+");
const word = (body: string) => new RegExp(`(?<![\\p{L}\\p{N}_])${body}(?:e?s)?(?![\\p{L}\\p{N}_])`, "iu");

/**
 * The query-type bucket of a question: the vocabulary term whose name or
 * synonyms it mentions most (each as a whole word or phrase, plural
 * included, case-insensitive), the earlier term on a tie, or "general".
 * Deterministic, so buckets computed at different times agree.
 */
export function classifyQueryBucket(text: string, vocabulary: BucketVocabulary): string {
  let list = compiled.get(vocabulary);
  if (!list) {
    list = Object.entries(vocabulary.terms).map(([term, synonyms]) => ({ term, patterns: [term, ...synonyms].map((t) => word(phrase(t))) }));
    compiled.set(vocabulary, list);
  }
  let best = generalBucket;
  let bestScore = 0;
  for (const { term, patterns } of list) {
    const score = patterns.filter((p) => p.test(text)).length;
    if (score > bestScore) {
      best = term;
      bestScore = score;
    }
  }
  return best;
}
