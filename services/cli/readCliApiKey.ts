import { readFileSync } from "node:fs";
import { UsageError } from "../shared/UsageError.js";

/**
 * The API key `aq` sends to the services, when they enforce keys: read from
 * `--api-key-file FILE`, else from the file named by `AQ_API_KEY_FILE` (the
 * CLI's one environment variable for it). A file, never the key on the
 * command line, where `ps` and the shell history would show it.
 */
export function readCliApiKey(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = flag ?? env.AQ_API_KEY_FILE;
  if (!file) return undefined;
  let key: string;
  try {
    key = readFileSync(file, "utf8").trim();
  } catch (err) {
    throw new UsageError(`${flag ? "--api-key-file" : "AQ_API_KEY_FILE"}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!key || /\s/.test(key)) throw new UsageError(`${flag ? "--api-key-file" : "AQ_API_KEY_FILE"}: ${file} must hold one API key`);
  return key;
}
