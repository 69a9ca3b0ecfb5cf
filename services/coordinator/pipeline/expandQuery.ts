import type { QueryExpansionMap } from "./queryExpansionSchema.js";

export interface ExpandedQuery {
  /** The query as given. */
  query: string;
  /** The query followed by the added expansions, space-separated. */
  expanded: string;
  /** The expansions appended, in the order appended. */
  added: string[];
}

export const defaultMaxAddedTerms = 12;

interface Compiled {
  term: string;
  order: number;
  pattern: RegExp;
  expansions: { text: string; pattern: RegExp }[];
}

const compiledMaps = new WeakMap<QueryExpansionMap, Compiled[]>();

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** Whole words: not preceded or followed by a letter, digit or underscore. */
const wordPattern = (body: string) => new RegExp(`(?<![\\p{L}\\p{N}_])${body}(?![\\p{L}\\p{N}_])`, "iu");
/** A phrase with its words separated by any whitespace. */
const phraseBody = (s: string) => s.trim().split(/\s+/).map(escape).join("\\s+");

function compile(map: QueryExpansionMap): Compiled[] {
  let compiled = compiledMaps.get(map);
  if (!compiled) {
    compiled = Object.entries(map.terms).map(([term, expansions], order) => ({
      term,
      order,
      // "flake" also matches "flakes"; "gpu" matches "GPUs"; "patch" matches "patches".
      pattern: wordPattern(`${phraseBody(term)}(?:e?s)?`),
      expansions: expansions.map((text) => ({ text, pattern: wordPattern(phraseBody(text)) })),
    }));
    compiledMaps.set(map, compiled);
  }
  return compiled;
}

/**
 * Appends synonyms from the expansion map to a query. A term matches as a
 * whole word or phrase, case-insensitively, also in its plural ("flakes").
 * Matched terms are taken in the order they first occur in the query (map
 * order breaks ties), and their expansions in map order. An expansion is
 * skipped when the query or an earlier expansion already contains it as a
 * whole phrase, and at most `maxAdded` are appended, so the result is
 * deterministic and bounded.
 */
export function expandQuery(query: string, map: QueryExpansionMap, opts: { maxAdded?: number } = {}): ExpandedQuery {
  const maxAdded = Math.max(0, opts.maxAdded ?? defaultMaxAddedTerms);
  const matched: { at: number; entry: Compiled }[] = [];
  for (const entry of compile(map)) {
    const m = entry.pattern.exec(query);
    if (m) matched.push({ at: m.index, entry });
  }
  matched.sort((a, b) => a.at - b.at || a.entry.order - b.entry.order);

  const added: string[] = [];
  const seen = new Set<string>();
  outer: for (const { entry } of matched) {
    for (const e of entry.expansions) {
      if (added.length >= maxAdded) break outer;
      const key = e.text.toLowerCase();
      if (seen.has(key) || e.pattern.test(query)) continue;
      seen.add(key);
      added.push(e.text);
    }
  }
  return { query, expanded: added.length ? `${query} ${added.join(" ")}` : query, added };
}
