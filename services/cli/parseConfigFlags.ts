import { parseArgs } from "node:util";
import type { z } from "zod";
import { configFlagAliases, configFlags, keyToFlag } from "../shared/config/configFlags.js";
import { UsageError } from "../shared/UsageError.js";

export interface ParsedConfigFlags {
  /** `--config FILE`. */
  file?: string;
  /** Each flag given, as typed (`--embed-url`), and its value: loadConfig's overrides. */
  overrides: Record<string, string>;
}

/**
 * The flags of `aq serve <service>`: `--config FILE`, and one flag per key of
 * the service's config schema (plus the aliases that apply, see
 * configFlags). Values stay strings: the service's config schema validates
 * them together with the file and the environment, and its errors name the
 * flag as typed. An unknown flag, a flag without a value or an argument is
 * a UsageError (exit 2) naming it.
 */
export function parseConfigFlags(argv: string[], schema: z.ZodObject<z.ZodRawShape>, command: string): ParsedConfigFlags {
  const flags = configFlags(schema);
  if (flags.has("config")) throw new Error(`${command}: a config key may not be called "config"`);
  const options: Record<string, { type: "string" }> = { config: { type: "string" } };
  for (const flag of flags.keys()) options[flag] = { type: "string" };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    const e = err as Error & { code?: string };
    const named = /'([^']*)'/.exec(e.message)?.[1];
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && named) throw new UsageError(`unknown flag ${named} (${command} --help lists the flags)`);
    if (e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL" && named) throw new UsageError(`unexpected argument '${named}': ${command} takes flags only`);
    throw new UsageError(e.message);
  }
  const { config: file, ...given } = values;
  const overrides: Record<string, string> = {};
  for (const [flag, value] of Object.entries(given)) if (typeof value === "string") overrides[`--${flag}`] = value;
  return { file: typeof file === "string" ? file : undefined, overrides };
}

/** `aq serve <service> --help`: the flags, derived from the config schema, and the aliases that apply. */
export function configFlagsHelp(schema: z.ZodObject<z.ZodRawShape>, command: string): string {
  const flags = configFlags(schema);
  const own = [...flags].filter(([flag, key]) => keyToFlag(key) === flag).map(([flag]) => `--${flag}`);
  const aliases = [...flags].filter(([flag]) => Object.hasOwn(configFlagAliases, flag) && keyToFlag(flags.get(flag)!) !== flag);
  const lines = [`usage: ${command} [--config FILE] [--FLAG VALUE]...`, "", "Every config key is a flag (see docs/operations.md); flags beat the environment and the file:"];
  let line = " ";
  for (const flag of own) {
    if (line.length + flag.length + 1 > 100) {
      lines.push(line);
      line = " ";
    }
    line += ` ${flag}`;
  }
  lines.push(line);
  const width = Math.max(0, ...aliases.map(([flag]) => flag.length));
  if (aliases.length > 0) lines.push("", "Also accepted:", ...aliases.map(([flag, key]) => `  --${flag.padEnd(width)}  for --${keyToFlag(key)}`));
  return lines.join("\n");
}
