import { readFile, stat } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { z } from "zod";
import type { ModelDownload } from "./api/modelDownloadSchema.js";

/** One model's entry of the progress file ai-model-download writes (nix/scripts/ai-model-download.sh). */
const entrySchema = z.object({
  state: z.enum(["queued", "downloading", "verifying", "installed", "failed", "refused"]),
  bytes_total: z.number().int().min(0).nullable().optional(),
  /** The growing partial file, relative to the progress file's directory. */
  partial: z.string().min(1).optional(),
  error: z.string().optional(),
});

const fileSchema = z.object({ models: z.record(z.string(), z.unknown()) });

/**
 * How far the download of `modelPath` has come, from the downloader's
 * progress file (entries are keyed by file name) and the size of the partial
 * file it names. Never throws: no file, no entry or an unreadable one is
 * `waiting`.
 */
export async function readDownloadProgress(statusFile: string | undefined, modelPath: string): Promise<ModelDownload> {
  const waiting: ModelDownload = { state: "waiting", bytes_done: 0, bytes_total: null, error: null };
  if (!statusFile) return waiting;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(statusFile, "utf8"));
  } catch {
    return waiting;
  }
  const file = fileSchema.safeParse(raw);
  if (!file.success) return waiting;
  const entry = entrySchema.safeParse(file.data.models[basename(modelPath)]);
  if (!entry.success) return waiting;
  const e = entry.data;
  let done = 0;
  if (e.partial) {
    try {
      done = (await stat(resolve(dirname(statusFile), e.partial))).size;
    } catch {
      done = 0;
    }
  }
  const total = e.bytes_total ?? null;
  if (e.state === "verifying" && total !== null) done = total;
  return { state: e.state, bytes_done: done, bytes_total: total, error: e.error ?? null };
}
