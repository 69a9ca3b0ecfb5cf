import { createHash } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { buildSynthGguf } from "./buildSynthGguf.js";
import { synthOptionsSchema, type SynthOptions } from "./synthOptionsSchema.js";

export interface SynthResult {
  path: string;
  bytes: number;
  sha256: string;
}

/** Writes a synthetic GGUF model to `opts.out` (atomically: temp file, then rename). */
export async function synthModel(opts: SynthOptions): Promise<SynthResult> {
  const { out, ...spec } = synthOptionsSchema.parse(opts);
  const data = buildSynthGguf(spec);
  await mkdir(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, out);
  return { path: out, bytes: data.length, sha256: createHash("sha256").update(data).digest("hex") };
}
