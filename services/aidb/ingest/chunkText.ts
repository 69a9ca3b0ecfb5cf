export interface ChunkOptions {
  /** Largest chunk, in tokens of the embedding model. */
  chunkTokens: number;
  /** Tokens repeated from the end of one chunk at the start of the next. */
  overlapTokens: number;
  countTokens: (text: string) => number;
}

/**
 * Splits text into overlapping chunks sized in tokens. Words (with their
 * trailing whitespace) are the units, so a chunk never cuts a word unless a
 * single word is longer than a chunk, which is then split by characters.
 * Every character of the input is in some chunk.
 */
export function chunkText(text: string, opts: ChunkOptions): string[] {
  const max = Math.max(1, opts.chunkTokens);
  const overlap = Math.min(Math.max(0, opts.overlapTokens), Math.floor(max / 2));
  const units: { text: string; tokens: number }[] = [];
  for (const m of text.matchAll(/\s*\S+\s*/g)) {
    const word = m[0];
    const tokens = Math.max(1, opts.countTokens(word));
    if (tokens <= max) {
      units.push({ text: word, tokens });
      continue;
    }
    // One huge "word" (a blob, a URL list): cut it into pieces that fit.
    const step = Math.max(1, Math.floor((word.length * max) / tokens / 1.25));
    for (let i = 0; i < word.length; i += step) {
      const piece = word.slice(i, i + step);
      units.push({ text: piece, tokens: Math.max(1, Math.min(max, opts.countTokens(piece))) });
    }
  }
  if (units.length === 0) return text.trim() ? [text] : [];

  const chunks: string[] = [];
  let start = 0;
  while (start < units.length) {
    let end = start;
    let tokens = 0;
    while (end < units.length && (end === start || tokens + units[end].tokens <= max)) tokens += units[end++].tokens;
    chunks.push(units.slice(start, end).map((u) => u.text).join("").trim());
    if (end >= units.length) break;
    // Step back over `overlap` tokens, but always move forward.
    let back = end;
    let kept = 0;
    while (back > start + 1 && kept + units[back - 1].tokens <= overlap) kept += units[--back].tokens;
    start = back;
  }
  return chunks.filter(Boolean);
}
