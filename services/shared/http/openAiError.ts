import type { FieldIssue } from "../formatZodIssues.js";

/** Routes under /v1/ speak OpenAI's API, errors included. */
export function isOpenAiRoute(url: string): boolean {
  return url === "/v1" || url.startsWith("/v1/") || url.startsWith("/v1?");
}

/** OpenAI's error `type` for an HTTP status, as its SDKs and clients expect it. */
export function openAiErrorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** OpenAI's error body: `{error: {message, type, param, code}}`. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null } & Record<string, unknown>;
}

/**
 * An error in OpenAI's shape, so the official SDKs show its message and
 * status as their typed errors. Our code is OpenAI's `code`; `param` is the
 * field at fault (its path in the body, e.g. `messages[0].role`), taken from
 * `details.param` or the first of `details.fields`. The details (`fields`
 * with every field's path and message, limits, token counts) stay inside
 * `error`, next to OpenAI's four keys.
 */
export function openAiError(status: number, code: string, message: string, details: Record<string, unknown> = {}): OpenAiErrorBody {
  const { param, ...rest } = details;
  const fields = Array.isArray(details.fields) ? (details.fields as FieldIssue[]) : [];
  const firstField = fields[0]?.path;
  const resolvedParam = typeof param === "string" ? param : firstField ? firstField.replace(/^body\./, "") : null;
  return { error: { message, type: openAiErrorType(status), param: resolvedParam, code, ...rest } };
}
