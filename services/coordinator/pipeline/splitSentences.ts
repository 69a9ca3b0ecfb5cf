/**
 * Splits text into sentences: after `.`, `!` or `?` followed by whitespace,
 * and at line breaks (lists and headings have no full stops). A dot inside a
 * word (`flake.nix`, `3.5`) does not split. Sentences are trimmed; empty ones
 * are dropped.
 */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\s*\n\s*/)
    .map((s) => s.trim())
    .filter(Boolean);
}
