import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import type { SsrfGuard } from "./createSsrfGuard.js";
import { SsrfBlockedError } from "./SsrfBlockedError.js";

export interface GuardedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** After redirects. */
  url: string;
}

export interface GuardedFetchOptions {
  guard: SsrfGuard;
  headers?: Record<string, string>;
  maxRedirects?: number;
  timeoutMs?: number;
  /** A body larger than this fails the fetch. */
  maxBytes: number;
  /** Logged with an ssrf_blocked line (e.g. the source id). */
  context?: Record<string, unknown>;
}

/**
 * GET through the SSRF guard: each URL (the first and every redirect) is
 * checked, then the connection goes to the address the guard checked (the
 * Host header and TLS name stay the URL's). Redirects are followed by hand,
 * at most `maxRedirects` (5).
 */
export async function guardedFetch(url: string, o: GuardedFetchOptions): Promise<GuardedResponse> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const target = await o.guard.check(current, { ...o.context, ...(hop > 0 && { redirected_from: url }) });
    const response = await once(target.url, target.address, target.family, o);
    const location = response.headers.location;
    if (response.status >= 300 && response.status < 400 && response.status !== 304 && location) {
      if (hop >= (o.maxRedirects ?? 5)) throw new SsrfBlockedError(current, "too_many_redirects");
      current = new URL(location, target.url).toString();
      continue;
    }
    return { ...response, url: current };
  }
}

function once(url: URL, address: string, family: 4 | 6, o: GuardedFetchOptions): Promise<Omit<GuardedResponse, "url">> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "GET",
        headers: { "user-agent": "ai-stack-knowledge-sync", accept: "text/markdown, text/plain, text/html;q=0.5, */*;q=0.1", ...o.headers },
        // The connection goes to the address the guard checked: no second DNS answer.
        lookup: (_host, opts, cb) => {
          if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
          else cb(null, address, family);
        },
        timeout: o.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > o.maxBytes) {
            req.destroy(new Error(`${url} is larger than ${o.maxBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${url} did not answer within ${o.timeoutMs ?? 30_000} ms`)));
    req.on("error", reject);
    req.end();
  });
}
