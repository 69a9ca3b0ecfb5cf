import { UsageError } from "../shared/UsageError.js";

export type ModelVerificationCode =
  | "not_gguf"
  | "unsupported_version"
  | "truncated"
  | "malformed"
  | "trailing_data"
  | "pickle_signature"
  | "sha256_mismatch";

/**
 * A model file we refuse to load: not GGUF, cut short, inconsistent,
 * carrying a pickle payload, or not the bytes the configuration pinned.
 * A UsageError, so the CLI exits 2 and the service answers 422.
 */
export class ModelVerificationError extends UsageError {
  readonly code: ModelVerificationCode;
  readonly path: string;
  constructor(code: ModelVerificationCode, path: string, detail: string) {
    super(`model file ${path} refused (${code}): ${detail}`);
    this.name = "ModelVerificationError";
    this.code = code;
    this.path = path;
  }
}
