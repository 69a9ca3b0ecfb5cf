import { auditRecordSchema, genesisHash } from "./auditRecordSchema.js";
import { auditRecordHash } from "./chainAuditRecord.js";

export type AuditVerdict =
  | { ok: true; records: number; head: { seq: number; hash: string } }
  | { ok: false; records: number; line: number; reason: string };

/**
 * Checks an audit file's hash chain: every line is a record whose hash is
 * right (an edited line fails here), whose `prev` is the hash of the line
 * before and whose `seq` is one more (a removed or reordered line fails
 * here), starting from seq 1 and the genesis hash. Lines are 1-based. A
 * chain cut at its end still verifies: compare `head` with the writer's
 * journal (`audit_appended`) to see that nothing is missing at the end.
 */
export function verifyAuditLog(text: string): AuditVerdict {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  let prev = { seq: 0, hash: genesisHash };
  for (const [i, line] of lines.entries()) {
    const fail = (reason: string): AuditVerdict => ({ ok: false, records: i, line: i + 1, reason });
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return fail("not a JSON record");
    }
    const parsed = auditRecordSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(`not an audit record (${issue?.path.join(".") || "record"}: ${issue?.message})`);
    }
    const { hash, ...body } = parsed.data;
    if (auditRecordHash(body) !== hash) return fail("its hash does not match its content (the line was edited)");
    if (body.prev !== prev.hash) return fail(`it does not follow line ${i} (its prev hash is not that line's hash: a line before it was removed, added or moved)`);
    if (body.seq !== prev.seq + 1) return fail(`its seq is ${body.seq}, expected ${prev.seq + 1}`);
    prev = { seq: body.seq, hash };
  }
  return { ok: true, records: lines.length, head: prev };
}
