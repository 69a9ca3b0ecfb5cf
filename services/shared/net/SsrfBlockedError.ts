/** An outbound fetch the SSRF guard refused, with why (logged as `ssrf_blocked`). */
export class SsrfBlockedError extends Error {
  constructor(
    readonly url: string,
    readonly reason: "scheme_not_allowed" | "host_not_allowed" | "private_address" | "link_local" | "not_an_address" | "dns_failed" | "too_many_redirects",
    readonly address?: string,
  ) {
    super(`blocked ${url}: ${reason}${address ? ` (${address})` : ""}`);
    this.name = "SsrfBlockedError";
  }
}
