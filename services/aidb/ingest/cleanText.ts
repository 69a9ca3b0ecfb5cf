import { sanitizeText } from "../../shared/text/sanitizeText.js";
import { redactSecrets } from "../../shared/text/redactSecrets.js";

/** Sanitises then redacts one text; counts what each step removed. */
export function cleanText(text: string): { text: string; removed: number; redactions: number; byKind: Record<string, number> } {
  const sanitized = sanitizeText(text);
  const redacted = redactSecrets(sanitized.text);
  return { text: redacted.text, removed: sanitized.removed, redactions: redacted.total, byKind: redacted.byKind };
}

/** Cleans every string (keys and values) of a metadata object, recursively. */
export function cleanJson(value: unknown, counts: { removed: number; redactions: number }): unknown {
  if (typeof value === "string") {
    const c = cleanText(value);
    counts.removed += c.removed;
    counts.redactions += c.redactions;
    return c.text;
  }
  if (Array.isArray(value)) return value.map((v) => cleanJson(v, counts));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [cleanJson(k, counts) as string, cleanJson(v, counts)]));
  }
  return value;
}
