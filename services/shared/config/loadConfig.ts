import { readFileSync } from "node:fs";
import type { z } from "zod";
import { configFlags, keyToFlag } from "./configFlags.js";
import { ConfigError } from "./ConfigError.js";

export interface LoadConfigOptions<S extends z.ZodObject<z.ZodRawShape>> {
  schema: S;
  /** Prefix of this service's environment variables, e.g. `AI_INFERENCE_`. */
  envPrefix: string;
  /** Optional JSON config file (the one NixOS generates). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Highest precedence: config keys (`queueLimit`), or command-line flags as
   * typed (`--queue-limit`, `--embed-url`), which `configFlags` maps to keys
   * and errors name as typed. Undefined values are ignored.
   */
  overrides?: Record<string, unknown>;
}

type Source = "file" | "env" | "flag";

/**
 * Reads a service's configuration once, at boot. Precedence, lowest first:
 * schema defaults, the JSON config file, environment variables
 * (`<prefix><SCREAMING_SNAKE_KEY>`), then overrides (CLI flags).
 * Two flags for one key (an alias and its key's own flag) are refused.
 *
 * Throws ConfigError naming the key, the value, where it came from and what
 * was expected. Unknown keys in the file are rejected so typos don't pass.
 */
export function loadConfig<S extends z.ZodObject<z.ZodRawShape>>(opts: LoadConfigOptions<S>): z.infer<S> {
  const env = opts.env ?? process.env;
  const keys = Object.keys(opts.schema.shape);
  const merged: Record<string, unknown> = {};
  const sourceOf: Record<string, string> = {};
  const put = (key: string, value: unknown, source: Source, name: string) => {
    merged[key] = value;
    sourceOf[key] = `${source} ${name}`;
  };

  if (opts.file) {
    const fromFile = readConfigFile(opts.file);
    for (const [key, value] of Object.entries(fromFile)) {
      if (!keys.includes(key)) {
        throw new ConfigError(`config file ${opts.file}: unknown key "${key}"; known keys: ${keys.join(", ")}`);
      }
      put(key, value, "file", opts.file);
    }
  }
  for (const key of keys) {
    const name = envName(opts.envPrefix, key);
    const value = env[name];
    if (value !== undefined && value !== "") put(key, value, "env", name);
  }
  const flags = configFlags(opts.schema);
  const flagOf: Record<string, string> = {};
  for (const [name, value] of Object.entries(opts.overrides ?? {})) {
    if (value === undefined) continue;
    if (!name.startsWith("--")) {
      put(name, value, "flag", `--${keyToFlag(name)}`);
      continue;
    }
    const key = flags.get(name.slice(2));
    if (key === undefined) throw new ConfigError(`unknown flag ${name}`);
    if (flagOf[key] !== undefined) throw new ConfigError(`${flagOf[key]} and ${name} both set "${key}"; give one of them`);
    flagOf[key] = name;
    put(key, value, "flag", name);
  }

  const result = opts.schema.safeParse(merged);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = issue.path.map(String).join(".") || "(root)";
  const top = String(issue.path[0] ?? "");
  const given = top in merged ? `got ${JSON.stringify(merged[top])} from ${sourceOf[top]}` : "not set";
  throw new ConfigError(`invalid config "${key}": ${given}; expected: ${issue.message}`);
}

export function envName(prefix: string, key: string): string {
  return prefix + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(`config file ${file} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}
