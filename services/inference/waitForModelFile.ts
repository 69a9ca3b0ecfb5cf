import { stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { ModelDownload } from "./api/modelDownloadSchema.js";
import { readDownloadProgress } from "./readDownloadProgress.js";

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Waits until the model file at `path` exists, reporting the download's
 * progress every `pollMs` meanwhile. Polling (not a file watch) because the
 * downloader installs the file with one rename into a directory that may not
 * exist yet, which survives every filesystem and a missed event: a file is
 * either absent or complete. Resolves true once it is there, false when
 * `signal` aborts the wait (the service is closing).
 */
export async function waitForModelFile(
  path: string,
  opts: { statusFile?: string; pollMs: number; signal: AbortSignal; onProgress: (p: ModelDownload) => void },
): Promise<boolean> {
  for (;;) {
    if (opts.signal.aborted) return false;
    if (await isFile(path)) return true;
    opts.onProgress(await readDownloadProgress(opts.statusFile, path));
    try {
      await sleep(opts.pollMs, undefined, { signal: opts.signal });
    } catch {
      return false;
    }
  }
}
