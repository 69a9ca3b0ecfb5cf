import { Counter, type Registry } from "prom-client";

export interface AccessMetrics {
  authDenied: Counter<"reason">;
  rateLimited: Counter<"reason" | "tier">;
  rateLimitFallback: Counter;
  auditRecords: Counter<"result">;
}

/** The access layer's metrics, on every service's registry (see docs/metrics.md). */
export function createAccessMetrics(registry: Registry): AccessMetrics {
  return {
    authDenied: new Counter({
      name: "http_auth_denied_total",
      help: "Requests refused for their API key: missing_api_key and invalid_api_key (401), insufficient_scope (403)",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: "http_rate_limited_total",
      help: "Requests refused with 429 by a per-key rate limit, by reason and the route's risk tier",
      labelNames: ["reason", "tier"] as const,
      registers: [registry],
    }),
    rateLimitFallback: new Counter({
      name: "rate_limit_fallback_total",
      help: "Rate-limit decisions taken in this process because the configured Redis was unavailable",
      registers: [registry],
    }),
    auditRecords: new Counter({
      name: "audit_records_total",
      help: "Audit records of admin-scope and high-risk calls, by result: written (the writer appended it), failed (the writer could not be reached; the record is in the log), logged (no writer configured)",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
  };
}
