import type { z } from "zod";
import { currentRequestId } from "./requestContext.js";
import { fetchFailure, httpFailure, ServiceError } from "./ServiceError.js";
import { timeoutSignal } from "./timeoutSignal.js";

export interface ServiceClientOptions {
  /** Names the service in errors and logs: "aidb", "local inference", ... */
  service: string;
  /** http(s)://host:port[/prefix]; a trailing slash is dropped. */
  baseUrl: string;
  /** Per call, unless the call gives its own. */
  timeoutMs: number;
  /** Sent with every call (e.g. an API key's authorization header). */
  headers?: Record<string, string>;
  /** An API key, sent with every call as `Authorization: Bearer KEY` (the stack's internal key between services, or a user's key from aq). */
  apiKey?: string;
}

export interface CallOptions {
  method?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Appended as a query string; undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** The caller's cancellation (a client that went away). */
  signal?: AbortSignal;
}

export interface ServiceClient {
  readonly service: string;
  readonly baseUrl: string;
  /** The raw response of a successful call (2xx); any other status throws a ServiceError with the service's code, message and fields. */
  fetch(path: string, opts?: CallOptions): Promise<Response>;
  /** A successful call's JSON body, checked against `schema` (a ServiceError `invalid_response` when it does not match). */
  json<S extends z.ZodType>(path: string, schema: S, opts?: CallOptions): Promise<z.infer<S>>;
  /** Like `json`, but a 404 answer gives undefined (the thing asked for does not exist). */
  jsonOrNotFound<S extends z.ZodType>(path: string, schema: S, opts?: CallOptions): Promise<z.infer<S> | undefined>;
}

/**
 * The one HTTP client every service client is built on: base URL, per-call
 * timeout joined with the caller's abort signal, JSON in and out, zod-checked
 * answers, the request id of the request being served passed on as
 * `x-request-id`, and one error type (ServiceError) for every failure.
 */
export function createServiceClient(opts: ServiceClientOptions): ServiceClient {
  const baseUrl = opts.baseUrl.replace(/\/+$/, "");
  const { service } = opts;

  async function call(path: string, o: CallOptions = {}): Promise<Response> {
    const query = o.query && Object.entries(o.query).filter((e): e is [string, string | number | boolean] => e[1] !== undefined);
    const qs = query?.length ? `?${new URLSearchParams(query.map(([k, v]) => [k, String(v)]))}` : "";
    const url = `${baseUrl}${path}${qs}`;
    const timeoutMs = o.timeoutMs ?? opts.timeoutMs;
    const requestId = currentRequestId();
    const headers: Record<string, string> = {
      ...(opts.apiKey && { authorization: `Bearer ${opts.apiKey}` }),
      ...opts.headers,
      ...(o.body !== undefined && { "content-type": "application/json" }),
      ...(requestId && { "x-request-id": requestId }),
      ...o.headers,
    };
    try {
      return await fetch(url, {
        method: o.method ?? (o.body !== undefined ? "POST" : "GET"),
        headers,
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
        signal: timeoutSignal(timeoutMs, o.signal),
      });
    } catch (err) {
      throw fetchFailure(service, `${baseUrl}${path}`, err, timeoutMs, o.signal);
    }
  }

  async function parse<S extends z.ZodType>(path: string, response: Response, schema: S): Promise<z.infer<S>> {
    const body: unknown = await response.json().catch(() => undefined);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? ` (${issue.path.join(".") || "body"}: ${issue.message})` : "";
      throw new ServiceError(service, "invalid_response", `${service} ${path.split("?")[0]} answered an unexpected shape${where}`, response.status);
    }
    return parsed.data;
  }

  const client: ServiceClient = {
    service,
    baseUrl,
    async fetch(path, o) {
      const response = await call(path, o);
      if (!response.ok) throw await httpFailure(service, `${baseUrl}${path}`, response);
      return response;
    },
    async json(path, schema, o) {
      return parse(path, await client.fetch(path, o), schema);
    },
    async jsonOrNotFound(path, schema, o) {
      const response = await call(path, o);
      if (response.status === 404) {
        await response.body?.cancel();
        return undefined;
      }
      if (!response.ok) throw await httpFailure(service, `${baseUrl}${path}`, response);
      return parse(path, response, schema);
    },
  };
  return client;
}
