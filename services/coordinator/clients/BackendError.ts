/** Why a call to another service failed: unreachable, too slow, or an HTTP error answer. */
export class BackendError extends Error {
  constructor(
    readonly service: string,
    readonly kind: "unreachable" | "timeout" | "http" | "invalid_response" | "aborted",
    message: string,
    readonly status?: number,
    /** The error code the service answered with, e.g. queue_full. */
    readonly code?: string,
  ) {
    super(message);
    this.name = "BackendError";
  }
}

/** Turns a fetch failure into a BackendError that names the service and URL. */
export function fetchFailure(service: string, url: string, err: unknown, timeoutMs: number, signal?: AbortSignal): BackendError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return new BackendError(service, "timeout", `${service} at ${url} did not answer within ${timeoutMs} ms`);
  if (signal?.aborted || e.name === "AbortError") return new BackendError(service, "aborted", `${service}: request aborted`);
  return new BackendError(service, "unreachable", `cannot reach ${service} at ${url}: ${e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)}`);
}

/** An HTTP error answer as a BackendError, keeping the service's own error code and message. */
export async function httpFailure(service: string, url: string, response: Response): Promise<BackendError> {
  const text = await response.text().catch(() => "");
  let code: string | undefined;
  let message = text.slice(0, 300);
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.error === "string") code = body.error;
    else if (body.error && typeof body.error === "object") {
      const inner = body.error as { code?: unknown; type?: unknown; message?: unknown };
      code = typeof inner.code === "string" ? inner.code : typeof inner.type === "string" ? inner.type : undefined;
      if (typeof inner.message === "string") message = inner.message;
    }
    if (typeof body.message === "string") message = body.message;
  } catch {
    // not JSON: keep the text
  }
  return new BackendError(service, "http", `${service} at ${url} answered ${response.status}${code ? ` ${code}` : ""}: ${message}`, response.status, code);
}
