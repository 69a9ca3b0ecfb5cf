import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Replaces FILE with CONTENT so that a reader sees either the old file or the
 * new one, never a partial write: the content goes to a temporary file in the
 * same directory (same filesystem), is flushed to disk, and is renamed over
 * FILE. The temporary name does not end in `.prom`, so node-exporter's
 * textfile collector never reads it. On failure the temporary file is removed.
 */
export async function writeTextfileAtomic(file: string, content: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    const handle = await open(tmp, "w", 0o644);
    try {
      await handle.writeFile(content, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
