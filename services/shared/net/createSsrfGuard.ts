import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Logger } from "pino";
import { addressList, isBlockedAddress } from "./isBlockedAddress.js";
import { SsrfBlockedError } from "./SsrfBlockedError.js";

export interface SsrfPolicy {
  /**
   * Hosts a fetch may name: `docs.example.org` (any port), `docs.example.org:8443`,
   * `*.example.org` (subdomains), or an address literal such as `127.0.0.1:8765`.
   * Nothing else is fetched.
   */
  allowHosts: readonly string[];
  /**
   * Loopback or private addresses (CIDRs) a fetch may still connect to, for a
   * host that is meant to be internal. Link-local (169.254.0.0/16, fe80::/10)
   * can never be allowed.
   */
  allowPrivateAddresses: readonly string[];
}

export interface CheckedTarget {
  url: URL;
  /** The address the connection must go to (checked; DNS is not asked again). */
  address: string;
  family: 4 | 6;
}

export interface SsrfGuard {
  /** Checks a URL: scheme, host allowlist, then every address its name resolves to. Throws SsrfBlockedError (and logs `ssrf_blocked`). */
  check(url: string, context?: Record<string, unknown>): Promise<CheckedTarget>;
}

/** An allowlist entry as host and optional port: `name`, `name:port`, `[v6]:port`, a bare IPv6 address, `*.suffix`. */
function parseEntry(entry: string): { host: string; port?: string } {
  const e = entry.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(e);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] };
  const colons = e.split(":").length - 1;
  if (colons === 1) {
    const [host, port] = e.split(":");
    return { host: host!, port };
  }
  return { host: e };
}

function hostAllowed(url: URL, allow: readonly string[]): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return allow.some((entry) => {
    const e = parseEntry(entry);
    if (e.port !== undefined && e.port !== port) return false;
    if (e.host.startsWith("*.")) return host.endsWith(e.host.slice(1));
    return host === e.host;
  });
}

/**
 * The SSRF guard of outbound fetches (knowledge-source sync): only http(s),
 * only allowlisted hosts, and only public addresses (or private ones the
 * policy names), checked on the addresses DNS gives, so a public name that
 * resolves to 127.0.0.1 or 169.254.169.254 is blocked too. The caller then
 * connects to the checked address, not to a second lookup (no DNS
 * rebinding), and checks every redirect the same way.
 */
export function createSsrfGuard(policy: SsrfPolicy, logger: Logger): SsrfGuard {
  const allowedPrivate = addressList(policy.allowPrivateAddresses);
  const block = (url: string, reason: SsrfBlockedError["reason"], address: string | undefined, context: Record<string, unknown>): never => {
    logger.warn({ event: "ssrf_blocked", url, reason, ...(address && { address }), ...context }, `ssrf_blocked: ${url} (${reason}${address ? ` ${address}` : ""})`);
    throw new SsrfBlockedError(url, reason, address);
  };
  return {
    async check(raw, context = {}) {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return block(raw, "scheme_not_allowed", undefined, context);
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") return block(raw, "scheme_not_allowed", undefined, context);
      if (url.username || url.password) return block(raw, "scheme_not_allowed", undefined, context);
      if (!hostAllowed(url, policy.allowHosts)) return block(raw, "host_not_allowed", undefined, context);
      const host = url.hostname.replace(/^\[|\]$/g, "");
      let addresses: { address: string; family: number }[];
      if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
      else {
        try {
          addresses = await lookup(host, { all: true, verbatim: true });
        } catch {
          return block(raw, "dns_failed", undefined, context);
        }
      }
      // Every address must pass: a name with one public and one private address is blocked.
      for (const a of addresses) {
        const verdict = isBlockedAddress(a.address, allowedPrivate);
        if (verdict.blocked) return block(raw, verdict.reason, a.address, context);
      }
      const first = addresses[0];
      if (!first) return block(raw, "dns_failed", undefined, context);
      return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
    },
  };
}
