import type { Logger } from "pino";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { expandQuery } from "./expandQuery.js";
import { sanitizeQuery } from "./sanitizeQuery.js";

export interface Question {
  /** Sanitized: invisible and control characters removed, length checked. */
  query: string;
  /** With the synonyms of lib/query-expansion.json, for retrieval. */
  expanded: string;
  sanitizeMs: number;
  expandMs: number;
}

const since = (t: number) => Math.round((performance.now() - t) * 100) / 100;

/** Stages 1 and 2: sanitize (400 when too long or empty) and expand the question. */
export function readQuestion(rt: Pick<CoordinatorRuntime, "config" | "metrics" | "expansion">, raw: string, log: Logger): Question {
  let t = performance.now();
  const sanitized = sanitizeQuery(raw, { maxChars: rt.config.maxQueryChars });
  const sanitizeMs = since(t);
  if (sanitized.removed > 0) {
    rt.metrics.inputSanitized.inc();
    log.info({ event: "input_sanitized", input_sanitized: true, chars_removed: sanitized.removed }, "invisible or control characters removed from the query");
  }
  t = performance.now();
  const expansion = expandQuery(sanitized.text, rt.expansion);
  const expandMs = since(t);
  if (expansion.added.length) log.debug({ event: "query_expanded", added: expansion.added }, "query expanded");
  return { query: sanitized.text, expanded: expansion.expanded, sanitizeMs, expandMs };
}
