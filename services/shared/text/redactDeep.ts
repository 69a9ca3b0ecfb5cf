import { redactSecrets } from "./redactSecrets.js";

/** Keys whose values are dropped whatever they hold (as the logger does). */
const secretKey = /^(?:password|passwd|secret|token|api[_-]?key|apikey|authorization|cookie|x-api-key)$/i;

/**
 * A JSON-safe copy of `value` with every string passed through
 * redactSecrets, at any depth. Values under secret-looking keys become
 * "[REDACTED]"; Dates become ISO strings; Errors become { name, message };
 * bigints become strings; functions, symbols and undefined are left out of
 * objects (null in arrays); a cycle becomes "[Circular]".
 */
export function redactDeep(value: unknown): unknown {
  return walk(value, new WeakSet());
}

function walk(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === "string") return redactSecrets(value).text;
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object") return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (seen.has(value)) return "[Circular]";
  seen.add(value);
  try {
    if (value instanceof Error) return { name: value.name, message: redactSecrets(value.message).text };
    if (Array.isArray(value)) return value.map((v) => walk(v, seen) ?? null);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (secretKey.test(k) && v !== null && v !== undefined) {
        out[k] = "[REDACTED]";
        continue;
      }
      const w = walk(v, seen);
      if (w !== undefined) out[k] = w;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
