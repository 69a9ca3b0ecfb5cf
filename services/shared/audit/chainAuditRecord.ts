import { createHash } from "node:crypto";
import type { AuditEvent, AuditRecord } from "./auditRecordSchema.js";
import { canonicalJson } from "./canonicalJson.js";

/** The hash of a record: sha256 of the canonical JSON of every field but `hash` (so `prev` and `seq` are covered). */
export function auditRecordHash(record: Omit<AuditRecord, "hash">): string {
  return createHash("sha256").update(canonicalJson(record), "utf8").digest("hex");
}

/** The record that follows `prev` (its seq and hash) in the chain. */
export function chainAuditRecord(event: AuditEvent, prev: { seq: number; hash: string }): AuditRecord {
  const body = { ...event, seq: prev.seq + 1, prev: prev.hash };
  return { ...body, hash: auditRecordHash(body) };
}
