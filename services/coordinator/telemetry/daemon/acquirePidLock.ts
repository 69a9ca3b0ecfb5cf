import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from "node:fs";
import type { Logger } from "pino";
import { ContinuousLearningAlreadyRunningError } from "./ContinuousLearningAlreadyRunningError.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes `file` as a PID lock: created exclusively with this process's pid.
 * A lock whose process is alive refuses (ContinuousLearningAlreadyRunningError);
 * one left by a dead process is taken over (`stale_pid_lock_taken`). The
 * returned function releases it (only if it is still ours).
 */
export function acquirePidLock(file: string, logger: Logger): () => void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (Number(readFileSync(file, "utf8").trim()) === process.pid) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(file, "utf8").trim());
    } catch {
      continue; // removed in between: try again
    }
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) throw new ContinuousLearningAlreadyRunningError(holder, file);
    logger.warn({ event: "stale_pid_lock_taken", lock_file: file, stale_pid: Number.isNaN(holder) ? null : holder }, `taking over the stale lock ${file}`);
    try {
      unlinkSync(file);
    } catch {
      // another process took it first: the next attempt sees its pid
    }
  }
  throw new Error(`could not take the lock ${file}`);
}
