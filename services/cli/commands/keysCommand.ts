import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { generateApiKey, hashApiKey } from "../../shared/access/generateApiKey.js";
import { formatKeyLine, keyNamePattern, keysFileHeader, parseKeysFile, parseScopes, internalKeyName } from "../../shared/access/parseKeysFile.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { parseFlags } from "../parseFlags.js";

export const keysUsage =
  "usage: aq keys create --name NAME --scopes query,ingest,admin [--file KEYS_FILE]\n" +
  "       aq keys list --file KEYS_FILE\n" +
  "       aq keys revoke --name NAME --file KEYS_FILE";

const createFlags = z.object({
  name: z.string().regex(keyNamePattern, "letters, digits and ._@- (at most 64)").refine((n) => n !== internalKeyName, `"${internalKeyName}" is reserved`),
  scopes: z.string().min(1).optional(),
  /** The same as --scopes (one scope or several, comma-separated). */
  scope: z.string().min(1).optional(),
  file: z.string().min(1).optional(),
});
const listFlags = z.object({ file: z.string().min(1) });
const revokeFlags = z.object({ name: z.string().min(1), file: z.string().min(1) });

function readKeys(file: string) {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`--file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { text, entries: parseKeysFile(text, file) };
}

/** Replaces the file in one step (a service reading it sees the old or the new file, never half), keeping its mode. */
function writeAtomically(file: string, text: string) {
  const mode = existsSync(file) ? statSync(file).mode & 0o777 : 0o600;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

/**
 * `aq keys create|list|revoke`: API keys. `create` prints a new key once (on
 * stdout, alone, so `> phone.key` keeps it) and the keys-file line that
 * holds only its sha256 (on stderr); with `--file` it adds that line to the
 * file (created 0600). `list` shows names, scopes and key ids, never keys.
 * `revoke` removes a key's line; services read the changed file within a
 * second (on NixOS, restart the units: the credential is a copy).
 */
export const keysCommand: Command = async (argv, io) => {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "create": {
      const { flags } = parseFlags(rest, createFlags);
      const scopeText = flags.scopes ?? flags.scope;
      if (!scopeText || (flags.scopes && flags.scope)) throw new UsageError(`give the key's scopes once: --scopes query,ingest,admin\n${keysUsage}`);
      let scopeList;
      try {
        scopeList = parseScopes(scopeText);
      } catch (err) {
        throw new UsageError(`--scopes: ${(err as Error).message}`);
      }
      const key = generateApiKey();
      const line = formatKeyLine({ name: flags.name, scopes: scopeList, sha256: hashApiKey(key) });
      if (flags.file) {
        const existing = existsSync(flags.file) ? readKeys(flags.file) : { text: keysFileHeader, entries: [] };
        if (existing.entries.some((e) => e.name === flags.name)) throw new UsageError(`--name: ${flags.file} already has a key named "${flags.name}"; revoke it first or pick another name`);
        writeAtomically(flags.file, `${existing.text}${existing.text === "" || existing.text.endsWith("\n") ? "" : "\n"}${line}\n`);
      }
      io.out(key);
      io.err(
        [
          `The key above is for "${flags.name}" (scopes ${scopeList.join(", ")}). It is shown once: store it now; only its hash is kept.`,
          flags.file ? `Added to ${flags.file}:` : "The line for the keys file (apiKeysFile):",
          `  ${line}`,
        ].join("\n"),
      );
      return 0;
    }
    case "list": {
      const { flags } = parseFlags(rest, listFlags);
      const { entries } = readKeys(flags.file);
      if (entries.length === 0) io.err(`${flags.file} has no keys`);
      for (const e of entries) io.out(`${e.name.padEnd(24)} ${e.scopes.join(",").padEnd(20)} key id ${e.sha256.slice(0, 16)}`);
      return 0;
    }
    case "revoke": {
      const { flags } = parseFlags(rest, revokeFlags);
      const { text, entries } = readKeys(flags.file);
      const entry = entries.find((e) => e.name === flags.name);
      if (!entry) {
        io.err(`aq keys: ${flags.file} has no key named "${flags.name}"`);
        return 1;
      }
      const lines = text.split("\n");
      lines.splice(entry.line - 1, 1);
      writeAtomically(flags.file, lines.join("\n"));
      io.err(`revoked "${flags.name}" (key id ${entry.sha256.slice(0, 16)}) in ${flags.file}; running services stop accepting it within a second (on NixOS, restart the units: systemctl restart ai-coordinator ai-aidb ai-inference ai-embeddings)`);
      return 0;
    }
    default:
      throw new UsageError(keysUsage);
  }
};
