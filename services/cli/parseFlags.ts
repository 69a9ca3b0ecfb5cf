import { parseArgs } from "node:util";
import { z } from "zod";
import { flagToKey as toCamel, keyToFlag as toKebab } from "../shared/config/configFlags.js";
import { UsageError } from "../shared/UsageError.js";

/**
 * Parses `--flag value` style arguments and validates them with a zod object
 * schema. Flag names are kebab-case on the command line and camelCase in the
 * schema (`--chat-model` -> `chatModel`). Values arrive as strings (or `true`
 * for boolean flags), so numeric fields should use `z.coerce.number()`.
 *
 * Any problem throws a UsageError (exit code 2) that names the flag.
 */
export function parseFlags<S extends z.ZodObject<z.ZodRawShape>>(
  argv: string[],
  schema: S,
  opts: { booleans?: string[]; allowPositionals?: boolean } = {},
): { flags: z.infer<S>; positionals: string[] } {
  const booleans = new Set(opts.booleans ?? []);
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const key of Object.keys(schema.shape)) {
    const flag = toKebab(key);
    options[flag] = { type: booleans.has(key) ? "boolean" : "string" };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: opts.allowPositionals ?? false, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const raw: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(parsed.values)) raw[toCamel(flag)] = value;
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue.path[0] ?? "");
    const given = key in raw ? ` (got ${JSON.stringify(raw[key])})` : "";
    throw new UsageError(`--${toKebab(key)}: ${issue.message}${given}`);
  }
  return { flags: result.data, positionals: parsed.positionals };
}
