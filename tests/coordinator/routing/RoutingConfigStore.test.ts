import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../services/shared/config/ConfigError.js";
import { RoutingConfigStore } from "../../../services/coordinator/routing/RoutingConfigStore.js";
import { captureLogger } from "../../helpers/captureLogger.js";

let dir: string;
let stores: RoutingConfigStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "routing-config-"));
});
afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
  rmSync(dir, { recursive: true, force: true });
});

async function open(stateDir = dir) {
  const log = captureLogger();
  const store = await RoutingConfigStore.open({ stateDir, logger: log.logger, stabilityMs: 30 });
  stores.push(store);
  return { store, log };
}

function write(value: unknown) {
  writeFileSync(join(dir, "routing-config.json"), typeof value === "string" ? value : JSON.stringify(value));
}

async function until(cond: () => boolean, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const errors = (log: ReturnType<typeof captureLogger>) => log.lines().filter((l) => l.event === "routing_config_invalid");

describe("RoutingConfigStore", () => {
  it("writes the defaults when the file is missing, creating the state dir", async () => {
    const stateDir = join(dir, "nested", "state");
    const { store } = await open(stateDir);
    expect(store.current()).toEqual({ threshold: 0.7, remoteCircuit: { failures: 3, cooldownMs: 5000 }, maxQueryRewrites: 3 });
    expect(JSON.parse(readFileSync(join(stateDir, "routing-config.json"), "utf8"))).toEqual({
      local_confidence_threshold: 0.7,
      remote_circuit: { failures: 3, cooldown_ms: 5000 },
    });
  });

  it("reads an existing file, defaulting what it leaves out", async () => {
    write({ local_confidence_threshold: 0.99 });
    const { store } = await open();
    expect(store.current()).toEqual({ threshold: 0.99, remoteCircuit: { failures: 3, cooldownMs: 5000 }, maxQueryRewrites: 3 });
  });

  it("refuses to boot on an invalid file, naming the field", async () => {
    write({ local_confidence_threshold: 1.5 });
    await expect(open()).rejects.toThrow(ConfigError);
    await expect(open()).rejects.toThrow(/"local_confidence_threshold"/);
  });

  it("applies a valid change without a restart", async () => {
    const { store, log } = await open();
    write({ local_confidence_threshold: 0.42, remote_circuit: { failures: 5, cooldown_ms: 100 } });
    await until(() => store.current().threshold === 0.42);
    expect(store.current().remoteCircuit).toEqual({ failures: 5, cooldownMs: 100 });
    expect(log.lines().some((l) => l.event === "routing_config_reloaded")).toBe(true);
  });

  it("applies an editor-style atomic replace (write elsewhere, rename over)", async () => {
    const { store } = await open();
    const tmp = join(dir, ".routing-config.json.tmp");
    writeFileSync(tmp, JSON.stringify({ local_confidence_threshold: 0.31 }));
    renameSync(tmp, join(dir, "routing-config.json"));
    await until(() => store.current().threshold === 0.31);
  });

  it.each([
    ["an out-of-range threshold", { local_confidence_threshold: 2 }, "local_confidence_threshold"],
    ["a wrong type", { local_confidence_threshold: "high" }, "local_confidence_threshold"],
    ["a bad nested value", { remote_circuit: { failures: 0 } }, "remote_circuit.failures"],
    ["a misspelt key", { local_confidence_treshold: 0.2 }, "local_confidence_treshold"],
    ["broken JSON", '{"local_confidence_threshold": 0.2', "(file)"],
  ])("keeps the last good value on %s and logs an error naming the field", async (_name, bad, field) => {
    write({ local_confidence_threshold: 0.5 });
    const { store, log } = await open();
    write(bad);
    await until(() => errors(log).length > 0);
    expect(store.current().threshold).toBe(0.5);
    const [line] = errors(log);
    expect(line!.level).toBe("error");
    expect(line!.field).toBe(field);
    expect(String(line!.msg)).toContain(`"${field}"`);
  });

  it("recovers when an invalid file is fixed", async () => {
    const { store, log } = await open();
    write({ local_confidence_threshold: -1 });
    await until(() => errors(log).length > 0);
    write({ local_confidence_threshold: 0.25 });
    await until(() => store.current().threshold === 0.25);
  });

  it("keeps the last good value when the file is deleted", async () => {
    write({ local_confidence_threshold: 0.6 });
    const { store, log } = await open();
    rmSync(join(dir, "routing-config.json"));
    await until(() => log.lines().some((l) => l.event === "routing_config_missing"));
    expect(store.current().threshold).toBe(0.6);
  });

  it("write() sets keys atomically, keeps the others (unknown to it or not), applies at once, and refuses an invalid result", async () => {
    write({ local_confidence_threshold: 0.6, remote_circuit: { failures: 4 } });
    const { store, log } = await open();
    expect(store.write({ local_confidence_threshold: 0.55 }).threshold).toBe(0.55);
    expect(store.current()).toMatchObject({ threshold: 0.55, remoteCircuit: { failures: 4 } });
    expect(JSON.parse(readFileSync(join(dir, "routing-config.json"), "utf8"))).toEqual({ local_confidence_threshold: 0.55, remote_circuit: { failures: 4 } });
    expect(() => store.write({ local_confidence_threshold: 1.5 })).toThrow(ConfigError);
    expect(() => store.write({ max_query_rewrites: 99 })).toThrow(/max_query_rewrites/);
    expect(store.current().threshold).toBe(0.55);
    // The watcher sees the rename but the text is what was written: no reload, no error.
    await new Promise((r) => setTimeout(r, 300));
    expect(store.current().threshold).toBe(0.55);
    expect(errors(log)).toEqual([]);
    expect(log.lines().filter((l) => l.event === "routing_config_written")).toHaveLength(1);
    write("{ not json");
    await until(() => errors(log).length > 0);
    expect(() => store.write({ local_confidence_threshold: 0.5 })).toThrow(/not valid JSON/);
  });

  it("stops following the file once closed", async () => {
    const { store } = await open();
    await store.close();
    write({ local_confidence_threshold: 0.11 });
    await new Promise((r) => setTimeout(r, 300));
    expect(store.current().threshold).toBe(0.7);
  });
});
