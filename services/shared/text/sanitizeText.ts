/**
 * Characters that are removed before text is stored, embedded or used as a
 * query. They are invisible or reorder what is displayed, so they can hide
 * content from a human reviewer (bidi "Trojan Source" tricks, zero-width
 * smuggling) or break storage (NUL is refused by Postgres text).
 *
 * - NUL and the other C0 controls, except TAB and LF;
 * - CR only when it is not part of a CRLF pair: "\r\n" line endings are kept
 *   as they are, a lone "\r" (which rewinds a terminal line and hides what
 *   came before it) is removed;
 * - DEL (U+007F) and the C1 controls (U+0080–U+009F);
 * - bidi embeddings/overrides U+202A–U+202E and isolates U+2066–U+2069;
 * - bidi marks U+200E (LRM), U+200F (RLM) and U+061C (ALM): invisible, and
 *   useless in stored retrieval text;
 * - zero-width characters U+200B–U+200D, U+2060 (word joiner) and U+FEFF
 *   (BOM / zero-width no-break space), wherever they occur;
 * - lone UTF-16 surrogates, which have no UTF-8 encoding.
 *
 * Everything else, including all printable Unicode and emoji sequences
 * other than their zero-width joiners, is left alone.
 */
const REMOVED =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]|\r(?!\n)|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export interface SanitizedText {
  text: string;
  /** Number of code points removed. */
  removed: number;
}

/** Removes invisible and control characters; see REMOVED above for the list. */
export function sanitizeText(text: string): SanitizedText {
  let removed = 0;
  const out = text.replace(REMOVED, () => {
    removed += 1;
    return "";
  });
  return { text: removed === 0 ? text : out, removed };
}
