import ports from "../../lib/ports.json" with { type: "json" };
import { serviceBaseUrl } from "../shared/http/serviceBaseUrl.js";

export const defaultCoordinatorUrl = `http://127.0.0.1:${ports.coordinator}`;

/** Checks `--url` and returns it without a trailing slash (UsageError, exit 2, when it is not http(s)). */
export const coordinatorBaseUrl = (url: string | undefined): string => serviceBaseUrl(url, defaultCoordinatorUrl);

/** The coordinator answered with an error status; the message is its own (plus the fields at fault). */
export class CoordinatorHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "CoordinatorHttpError";
  }
}

interface ErrorBody {
  error?: unknown;
  message?: unknown;
  fields?: unknown;
}

/** `message`, then each `{path, message}` of `fields` the message does not already say. */
export function describeErrorBody(status: number, body: ErrorBody): string {
  const message = typeof body.message === "string" && body.message ? body.message : `HTTP ${status}`;
  const extra: string[] = [];
  if (Array.isArray(body.fields)) {
    for (const f of body.fields as { path?: unknown; message?: unknown }[]) {
      const line = `${String(f?.path ?? "?")}: ${String(f?.message ?? "invalid")}`;
      if (!message.includes(line)) extra.push(line);
    }
  }
  return extra.length ? `${message} (${extra.join("; ")})` : message;
}

/**
 * Sends one request to the coordinator and returns the raw response when it
 * is a success. A connection failure throws "cannot reach the coordinator at
 * URL: ..."; an error status throws a CoordinatorHttpError with the
 * coordinator's message.
 */
export async function coordinatorFetch(base: string, path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      ...init,
      headers: { ...(init.body !== undefined && { "content-type": "application/json" }), ...init.headers },
    });
  } catch (err) {
    throw new Error(`cannot reach the coordinator at ${base}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
  }
  if (response.ok) return response;
  const text = await response.text().catch(() => "");
  let body: ErrorBody;
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    body = { error: "invalid_response", message: text.slice(0, 200) || `HTTP ${response.status}` };
  }
  throw new CoordinatorHttpError(response.status, typeof body.error === "string" ? body.error : "error", describeErrorBody(response.status, body));
}

/** Like coordinatorFetch, for a JSON answer: returns the parsed body. */
export async function coordinatorRequest<T = Record<string, unknown>>(base: string, path: string, init: RequestInit = {}): Promise<T> {
  const response = await coordinatorFetch(base, path, init);
  const text = await response.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`the coordinator at ${base} sent a response that is not JSON: ${text.slice(0, 200)}`);
  }
}

/** Dim text on a terminal (unless NO_COLOR), plain text otherwise. */
export function dim(text: string, stream: NodeJS.WriteStream = process.stdout): string {
  return stream.isTTY && !process.env.NO_COLOR ? `\x1b[2m${text}\x1b[22m` : text;
}
