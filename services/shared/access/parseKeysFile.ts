import { scopes, type Scope } from "./accessScopes.js";
import { KeysFileError } from "./KeysFileError.js";

/** One line of a keys file: a named key's hash and what it may do. */
export interface KeyEntry {
  name: string;
  scopes: Scope[];
  /** sha256 of the key, 64 lowercase hex characters. */
  sha256: string;
  /** 1-based line number in the file. */
  line: number;
}

/** Names a key: letters, digits and `._@-`, up to 64 characters. */
export const keyNamePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** The name the stack's own services use among themselves; no key in a file may take it. */
export const internalKeyName = "internal";

export const keysFileHeader =
  "# ai-stack API keys: one per line, NAME SCOPES sha256:HASH (the sha256 of the key, never the key).\n" +
  "# SCOPES is a comma-separated subset of query,ingest,admin. Create lines with `aq keys create`.\n";

/** The line `aq keys create` prints for a key, and what parseKeysFile reads back. */
export function formatKeyLine(entry: Pick<KeyEntry, "name" | "scopes" | "sha256">): string {
  return `${entry.name} ${entry.scopes.join(",")} sha256:${entry.sha256}`;
}

/** Parses scopes given as `query,ingest`; throws a message naming what is wrong. */
export function parseScopes(text: string): Scope[] {
  const given = text.split(",").map((s) => s.trim());
  const unknown = given.filter((s) => !(scopes as readonly string[]).includes(s));
  if (unknown.length || given.length === 0) throw new Error(`unknown scope ${JSON.stringify(unknown[0] ?? text)}; scopes are ${scopes.join(", ")}`);
  if (new Set(given).size !== given.length) throw new Error(`a scope is listed twice in ${JSON.stringify(text)}`);
  return scopes.filter((s) => given.includes(s));
}

/**
 * Reads a keys file: one key per line, `NAME SCOPES sha256:HASH`, blank lines
 * and `#` comments ignored. Throws KeysFileError naming the file and line of
 * the first bad line; names and hashes must be unique.
 */
export function parseKeysFile(text: string, source: string): KeyEntry[] {
  const entries: KeyEntry[] = [];
  const names = new Set<string>();
  const hashes = new Set<string>();
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const content = raw.replace(/#.*$/, "").trim();
    if (!content) return;
    const bad = (why: string) => new KeysFileError(`${source} line ${line}: ${why}; expected NAME SCOPES sha256:HASH`);
    const fields = content.split(/\s+/);
    if (fields.length !== 3) throw bad(`${fields.length} fields`);
    const [name, scopeText, hashText] = fields as [string, string, string];
    if (!keyNamePattern.test(name)) throw bad(`the name ${JSON.stringify(name)} is not letters, digits and ._@- (at most 64)`);
    if (name === internalKeyName) throw bad(`the name "${internalKeyName}" is reserved for the stack's own services`);
    if (names.has(name)) throw bad(`the name ${JSON.stringify(name)} is used twice`);
    let entryScopes: Scope[];
    try {
      entryScopes = parseScopes(scopeText);
    } catch (err) {
      throw bad((err as Error).message);
    }
    const hash = /^sha256:([0-9a-fA-F]{64})$/.exec(hashText)?.[1]?.toLowerCase();
    if (!hash) throw bad("the hash is not sha256: and 64 hex characters (a key itself must never be in this file)");
    if (hashes.has(hash)) throw bad("this hash is listed twice");
    names.add(name);
    hashes.add(hash);
    entries.push({ name, scopes: entryScopes, sha256: hash, line });
  });
  return entries;
}
