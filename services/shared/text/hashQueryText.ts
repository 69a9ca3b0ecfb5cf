import { createHash } from "node:crypto";
import { redactSecrets } from "./redactSecrets.js";

/**
 * The form queries are compared in: secrets redacted, whitespace runs
 * collapsed to one space, trimmed, lower-cased. Redaction comes first, on
 * the original text, because some secret formats are case-sensitive.
 */
export function normaliseQueryText(text: string): string {
  return redactSecrets(text).text.replace(/\s+/gu, " ").trim().toLowerCase();
}

/** SHA-256 (hex) of the normalised query, so repeats of one question share a hash. */
export function hashQueryText(text: string): string {
  return createHash("sha256").update(normaliseQueryText(text)).digest("hex");
}
