import { UsageError } from "../UsageError.js";

/**
 * A service URL given with `--url` (or the default), checked: a UsageError
 * (exit 2) when it is not an http(s) URL. Returned without a trailing slash.
 */
export function serviceBaseUrl(url: string | undefined, fallback: string): string {
  const value = url ?? fallback;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new UsageError(`--url: not a URL (got ${JSON.stringify(value)})`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UsageError(`--url: expected http:// or https:// (got ${JSON.stringify(value)})`);
  return value.replace(/\/+$/, "");
}
