export type ServiceErrorKind = "unreachable" | "timeout" | "http" | "invalid_response" | "aborted";

/** One field the service named in a 4xx answer (`fields: [{path, message}]`). */
export interface ServiceErrorField {
  path: string;
  message: string;
}

/**
 * Why a call to another service failed: unreachable, too slow, aborted, an
 * HTTP error answer (with the service's own code, message and fields), or an
 * answer of the wrong shape. The one error type of every service client.
 */
export class ServiceError extends Error {
  constructor(
    readonly service: string,
    readonly kind: ServiceErrorKind,
    message: string,
    readonly status?: number,
    /** The error code the service answered with, e.g. queue_full. */
    readonly code?: string,
    /** The fields at fault, when the service named them. */
    readonly fields: ServiceErrorField[] = [],
    /** The whole error body the service answered with (JSON), for callers that read more of it. */
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ServiceError";
  }
}

/** Turns a fetch failure into a ServiceError that names the service and URL. */
export function fetchFailure(service: string, url: string, err: unknown, timeoutMs: number, signal?: AbortSignal): ServiceError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return new ServiceError(service, "timeout", `${service} at ${url} did not answer within ${timeoutMs} ms`);
  if (signal?.aborted || e.name === "AbortError") return new ServiceError(service, "aborted", `${service}: request aborted`);
  return new ServiceError(service, "unreachable", `cannot reach ${service} at ${url}: ${e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)}`);
}

/** An HTTP error answer as a ServiceError, keeping the service's own error code and message. */
export async function httpFailure(service: string, url: string, response: Response): Promise<ServiceError> {
  const text = await response.text().catch(() => "");
  let code: string | undefined;
  let message = text.slice(0, 300);
  let fields: ServiceErrorField[] = [];
  let body: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    // not JSON: keep the text
  }
  if (body) {
    if (typeof body.error === "string") code = body.error;
    else if (body.error && typeof body.error === "object") {
      // OpenAI's shape: {error: {message, type, code, param}}
      // OpenAI's shape (our /v1/ routes keep their fields inside it): {error: {message, type, code, param, fields?}}
      const inner = body.error as { code?: unknown; type?: unknown; message?: unknown; param?: unknown; fields?: unknown };
      code = typeof inner.code === "string" ? inner.code : typeof inner.type === "string" ? inner.type : undefined;
      if (typeof inner.message === "string") message = inner.message;
      if (Array.isArray(inner.fields)) fields = toFields(inner.fields);
      else if (typeof inner.param === "string" && inner.param) fields = [{ path: inner.param, message }];
    }
    if (typeof body.message === "string") message = body.message;
    if (Array.isArray(body.fields)) fields = toFields(body.fields);
  }
  return new ServiceError(service, "http", `${service} at ${url} answered ${response.status}${code ? ` ${code}` : ""}: ${message}`, response.status, code, fields, body);
}

function toFields(list: unknown[]): ServiceErrorField[] {
  return (list as { path?: unknown; message?: unknown }[]).map((f) => ({ path: String(f?.path ?? "?"), message: String(f?.message ?? "invalid") }));
}
