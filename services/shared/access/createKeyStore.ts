import { timingSafeEqual } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type { Logger } from "pino";
import type { Scope } from "./accessScopes.js";
import { hashApiKey } from "./generateApiKey.js";
import { KeysFileError } from "./KeysFileError.js";
import { internalKeyName, parseKeysFile } from "./parseKeysFile.js";

/** Who a valid key belongs to. */
export interface Principal {
  name: string;
  /** The first 16 hex characters of the key's sha256: names the key in logs and the audit trail without revealing it. */
  keyId: string;
  scopes: ReadonlySet<Scope>;
  /** The stack's own services calling each other (never rate-limited). */
  internal: boolean;
}

export interface KeyStore {
  /** The key's owner, or undefined for an unknown key. Compares against every stored hash in constant time. */
  verify(presented: string): Principal | undefined;
  /** Keys from the keys file (the internal key not counted). */
  size(): number;
}

export interface KeyStoreOptions {
  /** NAME SCOPES sha256:HASH lines (parseKeysFile). */
  apiKeysFile?: string;
  /** A file holding the stack's internal key itself (services authenticate to each other with it). */
  internalKeyFile?: string;
  logger: Logger;
  /** How often a request may look whether the keys file changed (a revoked key stops working within this). Default 1000 ms. */
  checkIntervalMs?: number;
}

/** Shortest internal key accepted: 22 base64url characters carry 128 bits. */
const minInternalKeyChars = 22;

interface Stored {
  hash: Buffer;
  principal: Principal;
}

const toPrincipal = (name: string, sha256: string, scopeList: readonly Scope[], internal: boolean): Stored => ({
  hash: Buffer.from(sha256, "hex"),
  principal: { name, keyId: sha256.slice(0, 16), scopes: new Set(scopeList), internal },
});

/** Reads the internal key file: the key itself (trimmed), at least 128 bits of it. */
export function readInternalKey(file: string): string {
  let key: string;
  try {
    key = readFileSync(file, "utf8").trim();
  } catch (err) {
    throw new KeysFileError(`internalKeyFile: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (key.length < minInternalKeyChars || /\s/.test(key)) {
    throw new KeysFileError(`internalKeyFile: ${file} must hold one key of at least ${minInternalKeyChars} characters (128 bits), without spaces`);
  }
  return key;
}

/**
 * The keys a service accepts: the hashed keys of `apiKeysFile` and the
 * internal key, or undefined when neither is configured (keys are then not
 * enforced). A bad keys file at start is a KeysFileError (exit 2). The file
 * is looked at again at most every `checkIntervalMs`: a changed file is read
 * again (`aq keys revoke` takes effect without a restart); a file that has
 * become unreadable or invalid keeps the keys read before and is logged.
 */
export function createKeyStore(opts: KeyStoreOptions): KeyStore | undefined {
  if (!opts.apiKeysFile && !opts.internalKeyFile) return undefined;
  const { logger } = opts;
  const checkIntervalMs = opts.checkIntervalMs ?? 1000;
  const internal = opts.internalKeyFile ? toPrincipal(internalKeyName, hashApiKey(readInternalKey(opts.internalKeyFile)), ["query", "ingest"], true) : undefined;

  const file = opts.apiKeysFile;
  let stored: Stored[] = [];
  let fingerprint = "";
  let lastCheck = 0;

  const read = (path: string): { entries: Stored[]; fingerprint: string } => {
    let text: string;
    let stat;
    try {
      stat = statSync(path);
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new KeysFileError(`apiKeysFile: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const entries = parseKeysFile(text, `apiKeysFile ${path}`).map((e) => toPrincipal(e.name, e.sha256, e.scopes, false));
    return { entries, fingerprint: `${stat.ino}:${stat.size}:${stat.mtimeMs}` };
  };

  if (file) {
    ({ entries: stored, fingerprint } = read(file));
    lastCheck = Date.now();
    if (stored.length === 0) logger.warn({ event: "api_keys_empty", file }, "the keys file has no keys: every request that needs a key is refused");
    logger.info({ event: "api_keys_loaded", keys: stored.length, names: stored.map((s) => s.principal.name) }, `API keys enforced (${stored.length} keys)`);
  } else {
    logger.info({ event: "api_keys_loaded", keys: 0, internal_only: true }, "API keys enforced (internal key only)");
  }

  const refresh = () => {
    if (!file || Date.now() - lastCheck < checkIntervalMs) return;
    lastCheck = Date.now();
    try {
      const stat = statSync(file);
      if (`${stat.ino}:${stat.size}:${stat.mtimeMs}` === fingerprint) return;
      const next = read(file);
      const before = new Set(stored.map((s) => s.principal.name));
      const after = new Set(next.entries.map((s) => s.principal.name));
      stored = next.entries;
      fingerprint = next.fingerprint;
      logger.info(
        { event: "api_keys_reloaded", keys: stored.length, added: [...after].filter((n) => !before.has(n)), removed: [...before].filter((n) => !after.has(n)) },
        "the keys file changed: keys read again",
      );
    } catch (err) {
      logger.error({ event: "api_keys_reload_failed", err: (err as Error).message }, "the keys file changed but cannot be used; keeping the keys read before");
    }
  };

  return {
    verify(presented) {
      refresh();
      const hash = Buffer.from(hashApiKey(presented), "hex");
      let found: Principal | undefined;
      // Every stored hash is compared, in constant time, whether or not one matched already.
      for (const s of internal ? [...stored, internal] : stored) {
        if (timingSafeEqual(hash, s.hash) && !found) found = s.principal;
      }
      return found;
    },
    size: () => stored.length,
  };
}
