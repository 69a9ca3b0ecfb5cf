import { inspectModel } from "../models/inspectModel.js";
import type { VerifiedModel } from "./ModelVerifier.js";

/** The production verifier: our GGUF inspection with its safety refusals. */
export async function verifyModelFile(path: string, expectedSha256?: string): Promise<VerifiedModel> {
  const info = await inspectModel(path, { expectedSha256 });
  return {
    path: info.path,
    sha256: info.sha256,
    architecture: info.architecture,
    name: info.name ?? undefined,
    contextLength: info.contextLength ?? undefined,
  };
}
