import ports from "../../../lib/ports.json" with { type: "json" };
import { serviceBaseUrl } from "../../shared/http/serviceBaseUrl.js";

export const defaultAidbUrl = `http://127.0.0.1:${ports.aidb}`;

/** Checks `--url` and returns it without a trailing slash (UsageError, exit 2, when it is not http(s)). */
export const aidbBaseUrl = (url: string | undefined): string => serviceBaseUrl(url, defaultAidbUrl);

/** Calls aidb; a connection failure becomes an Error saying which URL was tried. */
export async function aidbRequest(base: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { ...init, headers: { "content-type": "application/json", ...init.headers } });
  } catch (err) {
    throw new Error(`cannot reach aidb at ${base}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
  }
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: response.status, body: { error: "invalid_response", message: text.slice(0, 200) } };
  }
}
