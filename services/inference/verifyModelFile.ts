import { stat } from "node:fs/promises";
import { inspectModel } from "../models/inspectModel.js";
import { UsageError } from "../shared/UsageError.js";
import type { VerifiedModel } from "./ModelVerifier.js";

const verified = new Map<string, VerifiedModel>();

/**
 * The production verifier: our GGUF inspection with its safety refusals
 * (UsageError, exit code 2 / HTTP 422). A file verified once is not hashed
 * again while its size and mtime are unchanged (boot verifies before
 * listening, then the loader asks again).
 */
export async function verifyModelFile(path: string, expectedSha256?: string): Promise<VerifiedModel> {
  let key: string;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new UsageError(`model file ${path} is not a regular file`);
    key = `${path}\0${s.size}\0${s.mtimeMs}\0${expectedSha256 ?? ""}`;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read model file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const cached = verified.get(key);
  if (cached) return cached;
  const info = await inspectModel(path, { expectedSha256 });
  const result: VerifiedModel = {
    path,
    sha256: info.sha256,
    architecture: info.architecture,
    name: info.name ?? undefined,
    contextLength: info.contextLength ?? undefined,
  };
  verified.set(key, result);
  return result;
}
