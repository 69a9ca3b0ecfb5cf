import type { LoopbackGroup, RiskTier, Scope } from "./accessScopes.js";

/** Who may call one route, and at which risk tier it is rate-limited and audited. */
export interface RoutePolicy {
  /** The scope a key needs; `any`: any valid key; `public`: no key at all (`/health`). */
  scope: Scope | "any" | "public";
  tier: RiskTier;
  /** Open without a key to callers on loopback when the service's `openOnLoopback` lists this group. */
  loopback?: LoopbackGroup;
  /** The documents a request ingests, counted against the per-key ingest limit (read from the parsed body). */
  ingestDocuments?: (body: unknown) => number;
}

/** A service's routes, keyed `"METHOD /route/:param"` as registered (HEAD is looked up as GET). */
export type AccessTable = Readonly<Record<string, RoutePolicy>>;

/** The kernel's own routes, in every service. */
export const kernelAccess: AccessTable = {
  "GET /health": { scope: "public", tier: "low" },
  "GET /ready": { scope: "any", tier: "low", loopback: "ready" },
  "GET /metrics": { scope: "query", tier: "low", loopback: "metrics" },
};
