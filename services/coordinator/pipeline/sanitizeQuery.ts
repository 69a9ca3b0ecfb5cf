import { HttpError } from "../../shared/http/HttpError.js";
import { sanitizeText } from "../../shared/text/sanitizeText.js";

export interface SanitizedQuery {
  text: string;
  /** Code points removed; log `input_sanitized: true` with this delta when > 0. */
  removed: number;
}

/**
 * The pipeline's first stage: removes invisible and control characters with
 * `sanitizeText`, then refuses a query longer than `maxChars` code points
 * (counted after sanitizing, so invisible padding neither counts against a
 * query nor lets one through) or with nothing left, as 400s naming
 * `body.query`.
 */
export function sanitizeQuery(query: string, opts: { maxChars: number }): SanitizedQuery {
  const { text, removed } = sanitizeText(query);
  let length = 0;
  for (const _ of text) if (++length > opts.maxChars) break;
  if (length > opts.maxChars) {
    throw new HttpError(400, "query_too_long", `query is longer than ${opts.maxChars} characters`, {
      fields: [{ path: "body.query", message: `at most ${opts.maxChars} characters` }],
      max_chars: opts.maxChars,
    });
  }
  if (text.trim() === "") {
    throw new HttpError(400, "query_empty", "query is empty", {
      fields: [{ path: "body.query", message: "must contain visible text" }],
    });
  }
  return { text, removed };
}
