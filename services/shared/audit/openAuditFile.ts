import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { UsageError } from "../UsageError.js";
import { auditRecordSchema, genesisHash, type AuditEvent, type AuditRecord } from "./auditRecordSchema.js";
import { chainAuditRecord } from "./chainAuditRecord.js";

export interface AuditFile {
  /** Chains the event after the last record, appends it as one line and syncs it to disk. */
  append(event: AuditEvent): AuditRecord;
  /** The last record's seq and hash (seq 0 and the genesis hash for an empty file). */
  head(): { seq: number; hash: string };
  close(): void;
}

/** The last line of a file, read from its end (the file may be large). */
function lastLine(fd: number, size: number): string | undefined {
  const chunk = 64 * 1024;
  let end = size;
  let tail = "";
  while (end > 0) {
    const start = Math.max(0, end - chunk);
    const buf = Buffer.alloc(end - start);
    readSync(fd, buf, 0, buf.length, start);
    tail = buf.toString("utf8") + tail;
    const body = tail.endsWith("\n") ? tail.slice(0, -1) : tail;
    const nl = body.lastIndexOf("\n");
    if (nl >= 0) return body.slice(nl + 1);
    end = start;
  }
  const body = tail.endsWith("\n") ? tail.slice(0, -1) : tail;
  return body === "" ? undefined : body;
}

/**
 * Opens (creating with `mode`, 0600 by default) the append-only audit file
 * and continues its chain from its last record. A last line that is not a
 * record stops the writer (UsageError, exit 2) rather than starting a chain
 * that `aq audit verify` would fail: look at the file first.
 */
export function openAuditFile(path: string, mode = 0o600): AuditFile {
  const fd = openSync(path, "a+", mode);
  let head = { seq: 0, hash: genesisHash };
  const size = fstatSync(fd).size;
  if (size > 0) {
    const line = lastLine(fd, size);
    const parsed = line === undefined ? undefined : auditRecordSchema.safeParse((() => { try { return JSON.parse(line); } catch { return undefined; } })());
    if (!parsed?.success) {
      closeSync(fd);
      throw new UsageError(`audit file ${path}: its last line is not an audit record; run aq audit verify ${path} and move the file aside before starting the writer`);
    }
    head = { seq: parsed.data.seq, hash: parsed.data.hash };
  }
  return {
    append(event) {
      const record = chainAuditRecord(event, head);
      writeSync(fd, JSON.stringify(record) + "\n");
      fdatasyncSync(fd);
      head = { seq: record.seq, hash: record.hash };
      return record;
    },
    head: () => head,
    close: () => closeSync(fd),
  };
}
