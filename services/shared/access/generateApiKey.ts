import { createHash, randomBytes } from "node:crypto";

/** Every key starts with this, so a key in a log or a paste is recognisable (and redactable). */
export const apiKeyPrefix = "aqk_";

/** Bytes of randomness in a key: 256 bits, twice the 128 the stack requires. */
export const apiKeyBytes = 32;

/** A new API key: `aqk_` and 32 random bytes in base64url (43 characters). Shown once, never stored. */
export function generateApiKey(): string {
  return apiKeyPrefix + randomBytes(apiKeyBytes).toString("base64url");
}

/**
 * The sha256 of a key, in hex: what the keys file stores. A plain hash is
 * enough because a key holds 256 random bits: no dictionary or brute force
 * reaches it, so a slow, salted password hash would add cost without
 * adding safety (see docs/operations.md, "API keys").
 */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}
