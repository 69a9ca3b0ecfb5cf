import { createReadStream, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, readSync, closeSync, statSync, statfsSync, appendFileSync, unlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { watch, type FSWatcher } from "chokidar";
import type { Logger } from "pino";
import { acquirePidLock } from "./acquirePidLock.js";
import { checkpointVersion, migrateCheckpoint, type Checkpoint } from "./checkpointSchema.js";
import type { ContinuousLearningConfig } from "./continuousLearningConfigSchema.js";
import { writeJsonAtomic } from "./writeJsonAtomic.js";

/** Bytes read from the telemetry file per step. */
const readChunk = 1024 * 1024;
/**
 * After a step that read something, one more look this much later: chokidar
 * drops a change event whose file mtime equals the previous one (two appends
 * within the file system's timestamp granularity), and that append would
 * otherwise wait for the next write. One look per burst of activity, not polling.
 */
const settleMs = 250;

export interface ContinuousLearningDaemon {
  /** Reads what is new now (also what start() and every change event do). Resolves when caught up or stopped by disk pressure. */
  tick(): Promise<TickResult>;
  /** Follows the telemetry file with chokidar until stop(). */
  start(): Promise<void>;
  /** Stops watching, finishes the current step, writes the checkpoint and releases the lock. */
  stop(): Promise<void>;
  checkpoint(): Checkpoint;
}

export interface TickResult {
  examples: number;
  skipped: number;
  /** Stopped by disk pressure (or an error) before the end of the file. */
  blocked: boolean;
}

interface Example {
  ts: unknown;
  interaction_id: unknown;
  project: unknown;
  query: unknown;
  response: unknown;
  backend: unknown;
  reason: unknown;
  best_score: unknown;
  query_hash: unknown;
}

/** A telemetry line worth keeping as a learning example: an answered, non-cached interaction with a response. */
function toExample(line: string): Example | undefined {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (r.type !== "interaction" || r.status !== "ok" || typeof r.response !== "string" || r.response === "") return undefined;
  if ((r.cache as { hit?: boolean } | undefined)?.hit) return undefined;
  return {
    ts: r.ts,
    interaction_id: r.interaction_id,
    project: r.project ?? null,
    query: r.query,
    response: r.response,
    backend: r.backend,
    reason: r.reason,
    best_score: r.best_score ?? null,
    query_hash: r.query_hash,
  };
}

/**
 * The continuous-learning daemon: it follows the coordinator's
 * telemetry.jsonl with chokidar (file events, not polling), from a
 * checkpoint, and keeps each answered, non-cached interaction as a learning
 * example in a session file. A PID lock keeps it single
 * (continuous_learning_already_running). A new session is refused while the
 * state directory's file system has less than minFreeBytes free
 * (disk_pressure_warning; the lines wait, nothing is lost). A session of
 * rotateBytes is gzip-compressed and a new one begun. The checkpoint
 * (schema_version 2, older versions migrated) is written atomically after
 * every step, so a restart resumes where it stopped (an example written
 * just before a crash may be written again: at least once).
 */
export function createContinuousLearningDaemon(config: ContinuousLearningConfig, logger: Logger): ContinuousLearningDaemon {
  const sessionsDir = join(config.stateDir, "sessions");
  mkdirSync(sessionsDir, { recursive: true, mode: 0o700 });
  const checkpointFile = join(config.stateDir, "checkpoint.json");
  const release = acquirePidLock(join(config.stateDir, "continuous-learning.pid"), logger);

  let cp: Checkpoint;
  try {
    cp = existsSync(checkpointFile)
      ? migrateCheckpoint(JSON.parse(readFileSync(checkpointFile, "utf8")))
      : {
          schema_version: checkpointVersion,
          source: { file: config.telemetryFile, inode: null, offset: 0 },
          session: null,
          counts: { lines_read: 0, examples_written: 0, lines_skipped: 0, sessions: 0 },
          updated_at: new Date().toISOString(),
        };
  } catch (err) {
    release();
    throw err;
  }
  if (cp.migrated_from !== undefined) {
    logger.info({ event: "checkpoint_migrated", from: cp.migrated_from, to: checkpointVersion, file: checkpointFile }, `checkpoint migrated from version ${cp.migrated_from}`);
  }
  const save = () => {
    cp.updated_at = new Date().toISOString();
    writeJsonAtomic(checkpointFile, cp);
  };
  save();

  let pressure = false;
  const freeBytes = () => {
    const s = statfsSync(config.stateDir);
    return s.bavail * s.bsize;
  };

  /** The open session, or a new one when there is room; undefined under disk pressure. */
  function session(): NonNullable<Checkpoint["session"]> | undefined {
    if (cp.session && existsSync(cp.session.file)) return cp.session;
    const free = freeBytes();
    if (free < config.minFreeBytes) {
      if (!pressure) {
        logger.warn(
          { event: "disk_pressure_warning", free_bytes: free, min_free_bytes: config.minFreeBytes, state_dir: config.stateDir },
          `disk_pressure_warning: ${free} bytes free, below ${config.minFreeBytes}; no new telemetry session until there is room`,
        );
      }
      pressure = true;
      return undefined;
    }
    if (pressure) logger.info({ event: "disk_pressure_cleared", free_bytes: free }, "disk pressure cleared; starting a session");
    pressure = false;
    const started = new Date();
    const id = `${started.toISOString().replace(/[:.]/g, "-")}-${cp.counts.sessions + 1}`;
    cp.session = { id, file: join(sessionsDir, `session-${id}.jsonl`), started_at: started.toISOString(), bytes: 0 };
    cp.counts.sessions++;
    logger.info({ event: "telemetry_session_started", session: id, free_bytes: free }, `session ${id} started`);
    return cp.session;
  }

  /** Compresses the full session to .jsonl.gz and closes it (the next example starts a new one). */
  async function rotate(): Promise<void> {
    const s = cp.session!;
    const gz = `${s.file}.gz`;
    await pipeline(createReadStream(s.file), createGzip(), createWriteStream(gz, { mode: 0o600 }));
    unlinkSync(s.file);
    cp.session = null;
    save();
    logger.info({ event: "telemetry_session_rotated", session: s.id, bytes: s.bytes, file: basename(gz) }, `session ${s.id} compressed`);
  }

  /** Reads [offset, end) of one file, complete lines only. */
  async function drain(file: string, result: TickResult): Promise<boolean> {
    let fd: number;
    try {
      fd = openSync(file, "r");
    } catch {
      return true;
    }
    try {
      const buffer = Buffer.alloc(readChunk);
      for (;;) {
        const n = readSync(fd, buffer, 0, readChunk, cp.source.offset);
        pendingPartial = false;
        if (n === 0) return true;
        const text = buffer.subarray(0, n);
        const lastNewline = text.lastIndexOf(0x0a);
        if (lastNewline < 0) {
          if (n === readChunk) {
            // One line longer than a chunk: skip it as unusable.
            cp.source.offset += n;
            cp.counts.lines_skipped++;
            continue;
          }
          pendingPartial = true;
          return true; // a line still being written
        }
        let at = 0;
        const upto = lastNewline + 1;
        while (at < upto) {
          const end = text.indexOf(0x0a, at);
          const line = text.subarray(at, end).toString("utf8");
          const example = toExample(line);
          if (example) {
            const s = session();
            if (!s) {
              save();
              return false;
            }
            const out = `${JSON.stringify(example)}\n`;
            appendFileSync(s.file, out, { mode: 0o600 });
            s.bytes += Buffer.byteLength(out);
            cp.counts.examples_written++;
            result.examples++;
          } else {
            cp.counts.lines_skipped++;
            result.skipped++;
          }
          cp.counts.lines_read++;
          cp.source.offset += end + 1 - at;
          at = end + 1;
          if (cp.session && cp.session.bytes >= config.rotateBytes) await rotate();
        }
        save();
      }
    } finally {
      closeSync(fd);
    }
  }

  async function tickOnce(): Promise<TickResult> {
    const result: TickResult = { examples: 0, skipped: 0, blocked: false };
    let st;
    try {
      st = statSync(config.telemetryFile);
    } catch {
      return result; // no telemetry yet
    }
    if (cp.source.inode === null) cp.source.inode = st.ino;
    if (st.ino !== cp.source.inode) {
      // The coordinator rotated the file to .1: finish the old one first.
      const older = `${config.telemetryFile}.1`;
      const old = existsSync(older) ? statSync(older) : undefined;
      if (old && old.ino === cp.source.inode && !(await drain(older, result))) return { ...result, blocked: true };
      logger.info({ event: "telemetry_file_rotated", previous_inode: cp.source.inode, inode: st.ino }, "following the new telemetry file");
      cp.source = { file: config.telemetryFile, inode: st.ino, offset: 0 };
      save();
    } else if (st.size < cp.source.offset) {
      logger.warn({ event: "telemetry_file_truncated", offset: cp.source.offset, size: st.size }, "the telemetry file shrank; reading it from the start");
      cp.source.offset = 0;
    }
    if (!(await drain(config.telemetryFile, result))) result.blocked = true;
    return result;
  }

  let running: Promise<TickResult> | undefined;
  /** The last step ended inside a line still being written. */
  let pendingPartial = false;
  let partialLookedAt = -1;
  let again = false;
  let stopped = false;
  let watcher: FSWatcher | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const tick = (): Promise<TickResult> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total: TickResult = { examples: 0, skipped: 0, blocked: false };
      do {
        again = false;
        try {
          const r = await tickOnce();
          total = { examples: total.examples + r.examples, skipped: total.skipped + r.skipped, blocked: r.blocked };
        } catch (err) {
          logger.error({ event: "continuous_learning_error", err }, "reading telemetry failed; trying again later");
          total.blocked = true;
        }
      } while (again && !stopped);
      clearTimeout(retryTimer);
      if (!stopped && watcher) {
        if (total.blocked) retryTimer = setTimeout(() => void tick(), config.retryMs);
        else if (total.examples + total.skipped > 0 || (pendingPartial && partialLookedAt !== cp.source.offset)) {
          // Once per partial line: a writer that died mid-line is not waited on forever.
          if (pendingPartial) partialLookedAt = cp.source.offset;
          retryTimer = setTimeout(() => void tick(), settleMs);
        }
      }
      return total;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    tick,
    checkpoint: () => cp,
    async start() {
      watcher = watch(config.telemetryFile, { ignoreInitial: true, usePolling: false });
      watcher.on("add", () => void tick());
      watcher.on("change", () => void tick());
      watcher.on("error", (err) => logger.error({ event: "telemetry_watch_error", err }, "watching the telemetry file failed"));
      await new Promise<void>((resolve) => watcher!.once("ready", () => resolve()));
      logger.info({ event: "continuous_learning_started", telemetry_file: config.telemetryFile, state_dir: config.stateDir, offset: cp.source.offset }, "continuous learning started");
      await tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      await watcher?.close();
      await running;
      save();
      release();
    },
  };
}
