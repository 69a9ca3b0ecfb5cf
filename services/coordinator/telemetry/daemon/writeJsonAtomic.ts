import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";

/** Writes JSON to a temporary file, syncs it and renames it over `file`: a reader sees the old or the new file, never half of one. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
