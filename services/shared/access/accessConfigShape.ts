import { z } from "zod";
import { boolField, intField } from "../config/fields.js";
import { loopbackGroups, type LoopbackGroup } from "./accessScopes.js";
import type { RateLimits } from "./createRateLimiter.js";
import { isLoopbackAddress } from "./isLoopbackAddress.js";

/** A list of loopback groups from a file (a JSON array) or a flag/environment variable (`ready,metrics`; `none` for none). */
const loopbackGroupsField = () =>
  z.preprocess(
    (v) => (typeof v === "string" ? (v.trim() === "none" ? [] : v.split(",").map((s) => s.trim())) : v),
    z.array(z.enum(loopbackGroups)),
  );

/**
 * The access settings every service has (spread into its config schema):
 * keys, the routes open to loopback without one, rate limits and where
 * audit records go. See docs/operations.md, "Access: keys, rate limits and
 * the audit trail".
 */
export const accessConfigShape = {
  /** Keys clients must present: NAME SCOPES sha256:HASH lines (aq keys create). With it (or internalKeyFile), keys are enforced. */
  apiKeysFile: z.string().min(1).optional(),
  /** The stack's own key (the key itself): accepted from the other services and sent to them. */
  internalKeyFile: z.string().min(1).optional(),
  /** Read-only routes a caller on loopback may use without a key when keys are enforced. */
  openOnLoopback: loopbackGroupsField().default([...loopbackGroups]),
  /** Per-key token buckets (only keys from apiKeysFile are limited). */
  rateLimitsEnabled: boolField().default(true),
  /** The window of the risk-tier and ingest limits. */
  rateLimitWindowMs: intField(100, 86_400_000).default(60_000),
  rateLimitHigh: intField(1, 1_000_000).default(10),
  rateLimitMedium: intField(1, 1_000_000).default(60),
  rateLimitLow: intField(1, 1_000_000).default(600),
  /** Every call of a key together, per rateLimitPerKeyWindowMs. */
  rateLimitPerKey: intField(1, 100_000_000).default(1000),
  rateLimitPerKeyWindowMs: intField(100, 7 * 86_400_000).default(3_600_000),
  /** Documents a key may ingest per rateLimitWindowMs. */
  ingestDocumentsPerWindow: intField(1, 100_000_000).default(100),
  /** The audit writer's Unix socket (aq audit serve); without it, audit records go to this service's log. */
  auditSocket: z.string().min(1).optional(),
};

export interface AccessSettings {
  apiKeysFile?: string;
  internalKeyFile?: string;
  openOnLoopback: LoopbackGroup[];
  rateLimitsEnabled: boolean;
  rateLimitWindowMs: number;
  rateLimitHigh: number;
  rateLimitMedium: number;
  rateLimitLow: number;
  rateLimitPerKey: number;
  rateLimitPerKeyWindowMs: number;
  ingestDocumentsPerWindow: number;
  auditSocket?: string;
}

export function rateLimitsOf(s: AccessSettings): RateLimits {
  return {
    windowMs: s.rateLimitWindowMs,
    high: s.rateLimitHigh,
    medium: s.rateLimitMedium,
    low: s.rateLimitLow,
    perKey: s.rateLimitPerKey,
    perKeyWindowMs: s.rateLimitPerKeyWindowMs,
    ingestDocuments: s.ingestDocumentsPerWindow,
  };
}

/**
 * The rule every service checks at boot (and the NixOS module at build
 * time): listening on anything but loopback needs API keys. Call from the
 * config schema's superRefine.
 */
export function refineListenAccess(c: { host: string; apiKeysFile?: string }, ctx: { addIssue(issue: { code: "custom"; path: string[]; message: string }): void }): void {
  if (!isLoopbackAddress(c.host) && !c.apiKeysFile) {
    ctx.addIssue({
      code: "custom",
      path: ["host"],
      message: `listening on ${c.host} (beyond loopback) needs API keys: set apiKeysFile (aq keys create makes the lines), or listen on 127.0.0.1`,
    });
  }
}
