import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError } from "../../services/shared/config/ConfigError.js";
import { boolField, intField, portField } from "../../services/shared/config/fields.js";
import { envName, loadConfig } from "../../services/shared/config/loadConfig.js";

const schema = z
  .object({
    port: portField().default(8080),
    threads: intField(1, 64).default(1),
    batching: boolField().default(true),
    model: z.string().min(1),
  })
  .strict();

function fileWith(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "aq-config-"));
  const file = join(dir, "config.json");
  writeFileSync(file, content);
  return file;
}

describe("loadConfig", () => {
  it("applies defaults, then file, then env, then overrides", () => {
    const file = fileWith(JSON.stringify({ port: 9000, threads: 2, model: "from-file" }));
    const config = loadConfig({
      schema,
      envPrefix: "AI_T_",
      file,
      env: { AI_T_THREADS: "3", AI_T_BATCHING: "false" },
      overrides: { model: "from-flag", port: undefined },
    });
    expect(config).toEqual({ port: 9000, threads: 3, batching: false, model: "from-flag" });
  });

  it("names the key, the value, its source and what was expected", () => {
    const err = (() => {
      try {
        loadConfig({ schema, envPrefix: "AI_T_", env: { AI_T_THREADS: "many", AI_T_MODEL: "m" } });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    expect(err?.message).toContain('"threads"');
    expect(err?.message).toContain('"many"');
    expect(err?.message).toContain("AI_T_THREADS");
    expect(err?.message).toMatch(/expected/);
  });

  it("rejects numbers with trailing garbage and out-of-range ports", () => {
    expect(() => loadConfig({ schema, envPrefix: "P_", env: { P_PORT: "80x", P_MODEL: "m" } })).toThrow(/"port"/);
    expect(() => loadConfig({ schema, envPrefix: "P_", env: { P_PORT: "70000", P_MODEL: "m" } })).toThrow(/"port"/);
    expect(() => loadConfig({ schema, envPrefix: "P_", env: { P_BATCHING: "maybe", P_MODEL: "m" } })).toThrow(/"batching"/);
  });

  it("reports a missing required key", () => {
    expect(() => loadConfig({ schema, envPrefix: "X_", env: {} })).toThrow(/"model": not set/);
  });

  it("rejects unknown keys, bad JSON and unreadable files", () => {
    expect(() => loadConfig({ schema, envPrefix: "X_", env: {}, file: fileWith('{"model":"m","treads":2}') })).toThrow(/unknown key "treads"/);
    expect(() => loadConfig({ schema, envPrefix: "X_", env: {}, file: fileWith("{not json") })).toThrow(/not valid JSON/);
    expect(() => loadConfig({ schema, envPrefix: "X_", env: {}, file: fileWith("[1,2]") })).toThrow(/JSON object/);
    expect(() => loadConfig({ schema, envPrefix: "X_", env: {}, file: "/nonexistent/aq.json" })).toThrow(/cannot read config file/);
  });

  it("derives environment variable names from keys", () => {
    expect(envName("AI_INFERENCE_", "chatModelSha256")).toBe("AI_INFERENCE_CHAT_MODEL_SHA256");
    expect(envName("AI_INFERENCE_", "queueLimit")).toBe("AI_INFERENCE_QUEUE_LIMIT");
  });
});
