import type { GapSummary } from "../../aidb/api/interactionsContract.js";

/** What `--project` shows when the gap was searched across all projects ("*"): the user picks one. */
export const allProjectsPlaceholder = "<project>";
const maxQueryChars = 160;

/** Quotes a word for a POSIX shell when it holds anything beyond safe characters. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_.:/@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** One line, at most maxQueryChars code points (an ellipsis marks a cut). */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/gu, " ").trim();
  const chars = Array.from(flat);
  return chars.length > maxQueryChars ? `${chars.slice(0, maxQueryChars - 1).join("")}…` : flat;
}

/**
 * The text `aq gaps` prints: per gap, a line with how often it was asked,
 * the query (quoted, on one line), its best score and when it was last
 * seen, then a comment suggesting what to ingest, e.g.
 *
 *     3x "how do I rotate wireguard keys"  best score 0.312, last seen 2026-11-20T10:00:00.000Z
 *     # Suggested: aq ingest --project nixos <path-or-url>
 *
 * A gap searched across all projects ("*") suggests `--project <project>`.
 * Gaps are separated by a blank line. No gaps: an empty string.
 */
export function formatGaps(gaps: GapSummary[]): string {
  if (gaps.length === 0) return "";
  return gaps
    .map((g) => {
      const project = g.collection_searched === "*" || g.collection_searched.trim() === "" ? allProjectsPlaceholder : shellWord(g.collection_searched);
      return [
        `${g.count}x ${JSON.stringify(oneLine(g.query_text))}  best score ${g.best_score.toFixed(3)}, last seen ${g.last_seen}`,
        `# Suggested: aq ingest --project ${project} <path-or-url>`,
      ].join("\n");
    })
    .join("\n\n")
    .concat("\n");
}
