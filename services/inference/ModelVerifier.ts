/** What the service needs to know about a model file after verifying it. */
export interface VerifiedModel {
  path: string;
  sha256: string;
  architecture: string;
  name?: string;
  contextLength?: number;
}

/**
 * Checks a model file before it is loaded (GGUF magic and version, truncation,
 * pickle signatures, expected sha256). Throws a UsageError subclass on refusal.
 */
export type ModelVerifier = (path: string, expectedSha256?: string) => Promise<VerifiedModel>;
