import type { z } from "zod";

/**
 * Flags kept from before flags were derived from the config schemas, under
 * the names `aq up`, the README and docs/operations.md use: flag (without
 * `--`) → config key. An alias applies to every service whose schema has
 * that key, unless the alias is itself one of that schema's flags (aidb's
 * `--data-dir` is its own key `dataDir`; the coordinator's is `stateDir`).
 */
export const configFlagAliases: Readonly<Record<string, string>> = {
  "embed-url": "embeddingsUrl",
  "remote-url": "remoteLlmUrl",
  "remote-key-file": "remoteLlmKeyFile",
  "data-dir": "stateDir",
};

/** `queueLimit` → `queue-limit`. */
export function keyToFlag(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `queue-limit` → `queueLimit`. */
export function flagToKey(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Every command-line flag of a service (without `--`) and the config key it
 * sets: each key of the schema as a kebab-case flag (`queueLimit` →
 * `queue-limit`), then the aliases that apply. `aq serve` parses with it and
 * loadConfig names a flag's value by it, so an error names the flag typed.
 */
export function configFlags(schema: z.ZodObject<z.ZodRawShape>): ReadonlyMap<string, string> {
  const keys = Object.keys(schema.shape);
  const flags = new Map(keys.map((key) => [keyToFlag(key), key]));
  for (const [alias, key] of Object.entries(configFlagAliases)) {
    if (keys.includes(key) && !flags.has(alias)) flags.set(alias, key);
  }
  return flags;
}
