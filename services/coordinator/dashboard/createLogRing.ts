/** One log line as the ring keeps it: pino's JSON fields plus a ring id. */
export interface LogRingLine {
  /** Increases by one per line for the life of the process (never reused). */
  id: number;
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface LogRingPage {
  lines: LogRingLine[];
  /** The id of the newest line in the ring (0 before any); pass it back as `since`. */
  last_id: number;
}

/**
 * The recent log lines of this process, in memory. It is a pino destination
 * (`write(line)`): createLogger's `tee` option sends it every JSON line the
 * logger writes to stdout, already redacted.
 */
export interface LogRing {
  write(line: string): void;
  /** Lines with an id above `since` (the newest `limit` of them), oldest first. */
  since(since: number, limit?: number): LogRingPage;
  readonly capacity: number;
}

export const DEFAULT_LOG_RING_CAPACITY = 500;
/** A line longer than this keeps only time, level, msg and a `truncated` flag. */
const MAX_LINE_CHARS = 8192;
/** pino's numeric levels, for lines written without the label formatter. */
const levelNames: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

export function createLogRing(opts: { capacity?: number } = {}): LogRing {
  const capacity = opts.capacity ?? DEFAULT_LOG_RING_CAPACITY;
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("logRing.capacity: must be a positive integer");
  const lines: LogRingLine[] = [];
  let lastId = 0;

  const parse = (raw: string): Omit<LogRingLine, "id"> => {
    let obj: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(raw);
      obj = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : { msg: raw };
    } catch {
      obj = { msg: raw };
    }
    const level = typeof obj.level === "number" ? (levelNames[obj.level] ?? String(obj.level)) : typeof obj.level === "string" ? obj.level : "info";
    const time = typeof obj.time === "string" ? obj.time : typeof obj.time === "number" ? new Date(obj.time).toISOString() : new Date().toISOString();
    const msg = typeof obj.msg === "string" ? obj.msg : "";
    if (raw.length > MAX_LINE_CHARS) return { time, level, msg: msg.slice(0, MAX_LINE_CHARS), truncated: true };
    return { ...obj, time, level, msg };
  };

  return {
    capacity,
    write(chunk: string) {
      for (const raw of String(chunk).split("\n")) {
        if (!raw.trim()) continue;
        lines.push({ ...parse(raw), id: ++lastId } as LogRingLine);
        if (lines.length > capacity) lines.shift();
      }
    },
    since(since: number, limit = capacity) {
      // A `since` above last_id comes from before a restart: start over.
      const from = since > lastId ? 0 : since;
      const newer = lines.filter((l) => l.id > from);
      return { lines: newer.slice(Math.max(0, newer.length - limit)), last_id: lastId };
    },
  };
}
