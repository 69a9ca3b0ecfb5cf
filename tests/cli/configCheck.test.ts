import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import ports from "../../lib/ports.json" with { type: "json" };
import { runAq } from "../helpers/spawnAq.js";

const dir = mkdtempSync(join(tmpdir(), "aq-config-check-"));

/** Writes `value` as JSON to a new file in the test directory. */
function configFile(name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
  return file;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The environment of a process that sees no config variable of any service. */
const noConfigEnv = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith("AI_")).map((k) => [k, undefined]));

describe("aq config check", () => {
  it.each([
    // Model and key files need not exist here: they exist only on the target machine.
    ["inference", { chatModel: "/var/lib/ai-stack/models/absent.gguf", port: ports.inferenceChat, queueLimit: 8, threads: 2 }],
    ["inference", { embedModel: "/var/lib/ai-stack/models/embed.gguf", rerankModel: "/var/lib/ai-stack/models/rerank.gguf", port: ports.inferenceEmbed }],
    ["aidb", { port: ports.aidb, databaseUrl: "postgresql://aidb@/aidb?host=/run/postgresql", embeddingsUrl: `http://127.0.0.1:${ports.inferenceEmbed}` }],
    ["coordinator", { port: ports.coordinator, aidbUrl: `http://127.0.0.1:${ports.aidb}`, remoteLlmUrl: "https://llm.example.org/v1", remoteLlmKeyFile: "/run/credentials/x/key" }],
  ])("accepts a valid %s config with exit 0 and one line", async (service, value) => {
    const file = configFile(`valid-${service}-${Object.keys(value).length}.json`, value);
    const r = await runAq(["config", "check", "--service", service, file]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${file}: valid ${service} config\n`);
  });

  it("refuses an unknown key with exit 2, naming it and the known keys", async () => {
    const file = configFile("unknown.json", { chatModel: "/m.gguf", sequencez: 2 });
    const r = await runAq(["config", "check", "--service", "inference", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(new RegExp(`^aq config: config file ${escapeRegExp(file)}: unknown key "sequencez"; known keys: host, port, chatModel, .*, logLevel, apiKeysFile, .*, auditSocket\n$`));
  });

  it("refuses a bad value with exit 2, naming the key, the value and the expectation", async () => {
    const file = configFile("bad-type.json", { embeddingsUrl: `http://127.0.0.1:${ports.inferenceEmbed}`, efSearch: "many" });
    const r = await runAq(["config", "check", "--service", "aidb", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^aq config: invalid config "efSearch": got "many" from file ${escapeRegExp(file)}; expected: .*number`));
    const range = configFile("bad-range.json", { port: 70000 });
    const p = await runAq(["config", "check", "--service", "coordinator", range]);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/invalid config "port": got 70000 from file .*; expected: .*65535/);
  });

  it("refuses what the schema requires across keys (a model to serve)", async () => {
    const file = configFile("no-model.json", { port: ports.inferenceChat });
    const r = await runAq(["config", "check", "--service", "inference", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid config "chatModel": not set; expected: a model to serve/);
  });

  it("prints the message the service prints at boot for the same file", async () => {
    const file = configFile("boot.json", { chatModel: "/m.gguf", queueLimit: -3 });
    const check = await runAq(["config", "check", "--service", "inference", file], noConfigEnv);
    const boot = await runAq(["serve", "inference", "--config", file], noConfigEnv);
    expect(boot.code).toBe(2);
    expect(check.code).toBe(2);
    const message = (stderr: string, prefix: string) => {
      expect(stderr.startsWith(prefix), stderr).toBe(true);
      return stderr.slice(prefix.length);
    };
    expect(message(check.stderr, "aq config: ")).toBe(message(boot.stderr, "aq serve: "));
    expect(check.stderr).toContain(`invalid config "queueLimit": got -3 from file ${file}`);
  });

  it("checks the file alone: environment variables neither break nor repair it", async () => {
    const good = configFile("env-good.json", { chatModel: "/m.gguf" });
    const r = await runAq(["config", "check", "--service", "inference", good], {
      AI_INFERENCE_QUEUE_LIMIT: "-3",
      AI_STACK_CONFIG: join(dir, "absent.json"),
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const noModel = configFile("env-no-model.json", {});
    const repaired = await runAq(["config", "check", "--service", "inference", noModel], { AI_INFERENCE_CHAT_MODEL: "/m.gguf" });
    expect(repaired.code).toBe(2);
    expect(repaired.stderr).toMatch(/"chatModel": not set/);
  });

  it("refuses a missing or unreadable file, and a file that is not a JSON object, with exit 2", async () => {
    const absent = join(dir, "absent.json");
    const r = await runAq(["config", "check", "--service", "aidb", absent]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`aq config: cannot read config file ${absent}: ENOENT\n`);
    const notJson = await runAq(["config", "check", "--service", "aidb", configFile("not.json", "{ port: 1")]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/is not valid JSON/);
    const array = await runAq(["config", "check", "--service", "aidb", configFile("array.json", [])]);
    expect(array.code).toBe(2);
    expect(array.stderr).toMatch(/must hold a JSON object/);
  });

  it("refuses a bad or missing --service, a missing FILE and an unknown subcommand with exit 2 and the usage", async () => {
    const file = configFile("any.json", {});
    const bad = await runAq(["config", "check", "--service", "embeddings", file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^aq config: --service: .*"inference"\|"aidb"\|"coordinator".* \(got "embeddings"\)\n$/);
    const missing = await runAq(["config", "check", file]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^aq config: --service: /);
    const noFile = await runAq(["config", "check", "--service", "aidb"]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toBe("aq config: no FILE given; usage: aq config check --service inference|aidb|coordinator FILE\n");
    const two = await runAq(["config", "check", "--service", "aidb", file, file]);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/one FILE only, got 2/);
    const sub = await runAq(["config", "lint", file]);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toBe("aq config: usage: aq config check --service inference|aidb|coordinator FILE (unknown subcommand 'lint')\n");
  });
});
