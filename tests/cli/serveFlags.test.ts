import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { aidbConfigSchema } from "../../services/aidb/aidbConfigSchema.js";
import { loadAidbConfig } from "../../services/aidb/loadAidbConfig.js";
import { parseConfigFlags } from "../../services/cli/parseConfigFlags.js";
import { coordinatorConfigSchema } from "../../services/coordinator/coordinatorConfigSchema.js";
import { loadCoordinatorConfig } from "../../services/coordinator/loadCoordinatorConfig.js";
import { inferenceConfigSchema } from "../../services/inference/inferenceConfigSchema.js";
import { configFlagAliases, configFlags, keyToFlag } from "../../services/shared/config/configFlags.js";
import { ConfigError } from "../../services/shared/config/ConfigError.js";
import { loadConfig } from "../../services/shared/config/loadConfig.js";
import { UsageError } from "../../services/shared/UsageError.js";
import { runAq } from "../helpers/spawnAq.js";

const schemas: Record<string, z.ZodObject<z.ZodRawShape>> = {
  inference: inferenceConfigSchema,
  aidb: aidbConfigSchema,
  coordinator: coordinatorConfigSchema,
};

/** `aq serve <service> ARGS...` as the command parses them, then loaded as the service loads them (no file, no environment). */
function load(service: string, args: string[]) {
  const { file, overrides } = parseConfigFlags(args, schemas[service]!, `aq serve ${service}`);
  return loadConfig({ schema: schemas[service]!, envPrefix: "AQ_FLAGS_TEST_", env: {}, file, overrides });
}

describe("aq serve flags are derived from the config schemas", () => {
  describe.each(Object.keys(schemas))("%s", (service) => {
    const schema = schemas[service]!;

    it.each(Object.keys(schema.shape))("the key %s is a flag, and a bad value is named by that flag", (key) => {
      const flag = `--${keyToFlag(key)}`;
      // An empty value is invalid for every key: the error must come from loading the key, named by the flag.
      const err = (() => {
        try {
          load(service, [flag, ""]);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(ConfigError);
      // The key, or a field inside it (a list's first element), named with the flag and the value typed.
      expect((err as Error).message).toMatch(new RegExp(`^invalid config "${key}(\\.[^"]*)?": got "" from flag ${flag};`));
    });

    it("has no flag but the keys and the aliases of its keys", () => {
      const keys = Object.keys(schema.shape);
      for (const [flag, key] of configFlags(schema)) {
        expect(keys).toContain(key);
        expect(flag === keyToFlag(key) || configFlagAliases[flag] === key, flag).toBe(true);
      }
    });
  });

  it.each([
    ["aidb", "--embed-url", "--embeddings-url", "embeddingsUrl", "http://127.0.0.1:1"],
    ["coordinator", "--embed-url", "--embeddings-url", "embeddingsUrl", "http://127.0.0.1:1"],
    ["coordinator", "--remote-url", "--remote-llm-url", "remoteLlmUrl", "https://llm.example.org/v1"],
    ["coordinator", "--data-dir", "--state-dir", "stateDir", "/var/lib/x"],
  ])("%s: the alias %s and the flag %s both set %s", (service, alias, flag, key, value) => {
    const loadWith = (args: string[]) =>
      service === "aidb"
        ? loadAidbConfig({ env: {}, ...parseConfigFlags([...args, "--data-dir", "/tmp/x"], aidbConfigSchema, "aq serve aidb") })
        : loadCoordinatorConfig({ env: {}, ...parseConfigFlags(args, coordinatorConfigSchema, "aq serve coordinator") });
    expect((loadWith([alias, value]) as Record<string, unknown>)[key]).toBe(value);
    expect((loadWith([flag, value]) as Record<string, unknown>)[key]).toBe(value);
    // Both at once: refused, naming both as typed.
    expect(() => loadWith([flag, value, alias, value])).toThrow(new RegExp(`${flag} and ${alias} both set "${key}"`));
  });

  it("the remote key file: --remote-key-file and --remote-llm-key-file", () => {
    for (const flag of ["--remote-key-file", "--remote-llm-key-file"]) {
      const c = loadCoordinatorConfig({ env: {}, ...parseConfigFlags(["--remote-url", "https://llm.example.org/v1", flag, "/run/key"], coordinatorConfigSchema, "aq serve coordinator") });
      expect(c.remoteLlmKeyFile).toBe("/run/key");
      // A key without a remote: the cross-key error names the flag typed.
      expect(() => loadCoordinatorConfig({ env: {}, ...parseConfigFlags([flag, "/run/key"], coordinatorConfigSchema, "aq serve coordinator") })).toThrow(
        new RegExp(`"remoteLlmKeyFile": got "/run/key" from flag ${flag};`),
      );
    }
  });

  it("an alias applies only where its key is not the flag's own: aidb's --data-dir is dataDir, inference has none", () => {
    expect(configFlags(aidbConfigSchema).get("data-dir")).toBe("dataDir");
    expect(configFlags(coordinatorConfigSchema).get("data-dir")).toBe("stateDir");
    expect(configFlags(inferenceConfigSchema).has("data-dir")).toBe(false);
    expect(configFlags(inferenceConfigSchema).has("embed-url")).toBe(false);
  });

  it("refuses an unknown flag, a flag without its value and an argument, naming them", () => {
    expect(() => parseConfigFlags(["--threadz", "2"], inferenceConfigSchema, "aq serve inference")).toThrow(UsageError);
    expect(() => parseConfigFlags(["--threadz", "2"], inferenceConfigSchema, "aq serve inference")).toThrow(/unknown flag --threadz/);
    expect(() => parseConfigFlags(["--port"], inferenceConfigSchema, "aq serve inference")).toThrow(/--port/);
    expect(() => parseConfigFlags(["now"], inferenceConfigSchema, "aq serve inference")).toThrow(/unexpected argument 'now'/);
  });

  it("every flag the README shows for aq serve is accepted", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const block = readme.slice(readme.indexOf("## The `aq` command"));
    const shown: Record<string, Set<string>> = {};
    let current: string | undefined;
    for (const line of block.split("\n")) {
      const serve = /^aq serve (\w+)/.exec(line);
      if (serve) current = serve[1];
      else if (/^\S/.test(line)) current = undefined;
      if (!current) continue;
      for (const m of line.matchAll(/--([a-z0-9-]+)/g)) (shown[current] ??= new Set()).add(m[1]!);
    }
    expect(Object.keys(shown).sort()).toEqual(["aidb", "coordinator", "inference"]);
    for (const [service, flags] of Object.entries(shown)) {
      const accepted = configFlags(schemas[service]!);
      for (const flag of flags) expect(flag === "config" || accepted.has(flag), `aq serve ${service} --${flag}`).toBe(true);
    }
  });
});

describe("aq serve: errors name the flag as typed (exit 2)", () => {
  it.each([
    ["aidb", ["--embed-url", "nope"], "--embed-url", "--embeddings-url"],
    ["aidb", ["--embeddings-url", "nope"], "--embeddings-url", "--embed-url"],
    ["coordinator", ["--remote-url", "ftp://x"], "--remote-url", "--remote-llm-url"],
    ["coordinator", ["--remote-key-file", "/run/key"], "--remote-key-file", "--remote-llm-key-file"],
  ])("%s %j", async (service, args, typed, other) => {
    const r = await runAq(["serve", service, ...args], { AI_STACK_CONFIG: "" });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`from flag ${typed};`);
    expect(r.stderr).toContain(`got ${JSON.stringify(args[1])}`);
    expect(r.stderr).toContain("expected:");
    expect(r.stderr).not.toContain(other);
  });

  it("an unknown flag names it; --help lists every flag and exits 0", async () => {
    const unknown = await runAq(["serve", "coordinator", "--embed-urll", "x"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown flag --embed-urll");
    const help = await runAq(["serve", "coordinator", "--help"]);
    expect(help.code).toBe(0);
    const listed = new Set(help.stdout.split(/\s+/));
    for (const key of Object.keys(coordinatorConfigSchema.shape)) expect(listed, key).toContain(`--${keyToFlag(key)}`);
    expect(help.stdout).toMatch(/--embed-url +for --embeddings-url/);
  });
});
