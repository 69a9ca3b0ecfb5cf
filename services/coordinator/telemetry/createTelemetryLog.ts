import { mkdir, open, rename, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "pino";
import { redactDeep } from "../../shared/text/redactDeep.js";

export interface TelemetryLogOptions {
  /** The JSONL file, in the state directory. */
  file: string;
  /** Size after which the file is renamed to `file + ".1"` (replacing an older one) and a new one begun. Default 50 MiB. */
  maxBytes?: number;
  logger: Logger;
}

export interface TelemetryLogStats {
  /** Lines written. */
  written: number;
  /** Lines lost: failed writes (disk full, permissions), unserialisable records, appends after close. */
  failures: number;
  /** Rotations done. */
  rotations: number;
}

export interface TelemetryLog {
  /** Queues one record as one JSON line (every string redacted). Never throws. */
  append(record: Record<string, unknown>): void;
  /** Resolves once every line queued so far is written (or has failed). */
  flush(): Promise<void>;
  stats(): TelemetryLogStats;
  /** Flushes, then closes the file; later appends are counted as failures. */
  close(): Promise<void>;
}

export const defaultTelemetryMaxBytes = 50 * 1024 * 1024;
/** At most one warning per this many milliseconds while writes keep failing. */
const warnEveryMs = 10_000;

/**
 * An append-only JSONL log of interactions for a learning loop to read
 * later. Records are redacted deeply (redactDeep) and written in order by
 * one writer; appends never block or throw into a request. A new directory
 * is made with mode 0700 and a new file with 0600. When a line would take
 * the file past `maxBytes` the file is first rotated to `file.1` (so one
 * older generation is kept, and each file stays under the limit unless a
 * single line is larger).
 */
export function createTelemetryLog(opts: TelemetryLogOptions): TelemetryLog {
  const { file, logger } = opts;
  const maxBytes = opts.maxBytes ?? defaultTelemetryMaxBytes;
  const stats: TelemetryLogStats = { written: 0, failures: 0, rotations: 0 };
  const queue: string[] = [];
  let handle: FileHandle | undefined;
  let size = 0;
  let running = false;
  let idle: Promise<void> = Promise.resolve();
  let closed = false;
  let lastWarn = -Infinity;

  const warn = (err: unknown, lost: number, msg: string) => {
    stats.failures += lost;
    const now = Date.now();
    if (now - lastWarn < warnEveryMs) return;
    lastWarn = now;
    logger.warn({ err, file, lost, failures: stats.failures }, msg);
  };

  const ensureOpen = async (): Promise<FileHandle> => {
    if (handle) return handle;
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const h = await open(file, "a", 0o600);
    try {
      size = (await h.stat()).size;
    } catch (err) {
      await h.close().catch(() => {});
      throw err;
    }
    handle = h;
    return h;
  };

  const closeHandle = async () => {
    const h = handle;
    handle = undefined;
    await h?.close().catch(() => {});
  };

  const rotate = async () => {
    await closeHandle();
    await rename(file, `${file}.1`);
    stats.rotations += 1;
    size = 0;
  };

  /** Writes lines in order, rotating before a line that would pass the limit. */
  const writeBatch = async (lines: string[]) => {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let pendingLines = 0;
    let remaining = lines.length;
    const writePending = async () => {
      if (pendingLines === 0) return;
      const h = await ensureOpen();
      const buf = Buffer.concat(pending, pendingBytes);
      await h.write(buf, 0, buf.length);
      size += buf.length;
      stats.written += pendingLines;
      remaining -= pendingLines;
      pending = [];
      pendingBytes = 0;
      pendingLines = 0;
    };
    try {
      await ensureOpen();
      for (const line of lines) {
        const bytes = Buffer.from(line, "utf8");
        if (size + pendingBytes + bytes.length > maxBytes && size + pendingBytes > 0) {
          await writePending();
          await rotate();
          await ensureOpen();
        }
        pending.push(bytes);
        pendingBytes += bytes.length;
        pendingLines += 1;
      }
      await writePending();
    } catch (err) {
      // Reopen on the next batch: the directory may have been recreated or the disk freed.
      await closeHandle();
      warn(err, remaining, "telemetry write failed; lines dropped");
    }
  };

  const kick = () => {
    if (running) return;
    running = true;
    idle = (async () => {
      try {
        while (queue.length > 0) await writeBatch(queue.splice(0));
      } finally {
        running = false;
      }
    })();
  };

  const flush = async () => {
    while (running) await idle;
  };

  return {
    append(record) {
      if (closed) {
        warn(new Error("telemetry log is closed"), 1, "telemetry append after close; line dropped");
        return;
      }
      let line: string;
      try {
        line = `${JSON.stringify(redactDeep(record))}\n`;
      } catch (err) {
        warn(err, 1, "telemetry record could not be serialised; line dropped");
        return;
      }
      queue.push(line);
      kick();
    },
    flush,
    stats: () => ({ ...stats }),
    async close() {
      closed = true;
      await flush();
      await closeHandle();
    },
  };
}
