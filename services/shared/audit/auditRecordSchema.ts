import { z } from "zod";
import { riskTiers } from "../access/accessScopes.js";

/**
 * What a service reports about one audited call (an admin-scope call or a
 * high-risk one): who (the key's name and id, null when keys are not
 * enforced), what (method, route and the sha256 of its parameters, never the
 * parameters), at which risk tier, and how it ended.
 */
export const auditEventSchema = z
  .object({
    time: z.iso.datetime(),
    service: z.string().min(1).max(64),
    method: z.string().min(1).max(16),
    route: z.string().min(1).max(512),
    key_name: z.string().min(1).max(64).nullable(),
    key_id: z.string().regex(/^[0-9a-f]{16}$/).nullable(),
    /** sha256 of the canonical JSON of {params, query, body} as the service received them. */
    params_sha256: z.string().regex(/^[0-9a-f]{64}$/),
    scope: z.string().min(1).max(16),
    tier: z.enum(riskTiers),
    status: z.number().int().min(100).max(599),
    outcome: z.enum(["ok", "denied", "error"]),
    request_id: z.string().min(1).max(128),
  })
  .strict();

export type AuditEvent = z.infer<typeof auditEventSchema>;

/** The previous hash of the first record. */
export const genesisHash = "0".repeat(64);

/** One line of the audit file: the event, its place in the chain and the chain's hashes. */
export const auditRecordSchema = auditEventSchema
  .extend({
    seq: z.number().int().min(1),
    /** The hash of the record before (genesisHash for the first). */
    prev: z.string().regex(/^[0-9a-f]{64}$/),
    /** sha256 of the canonical JSON of every other field of this record. */
    hash: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

export type AuditRecord = z.infer<typeof auditRecordSchema>;
