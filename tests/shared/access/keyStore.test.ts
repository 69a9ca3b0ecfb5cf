import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createKeyStore } from "../../../services/shared/access/createKeyStore.js";
import { apiKeyPrefix, generateApiKey, hashApiKey } from "../../../services/shared/access/generateApiKey.js";
import { isLoopbackAddress } from "../../../services/shared/access/isLoopbackAddress.js";
import { KeysFileError } from "../../../services/shared/access/KeysFileError.js";
import { formatKeyLine, parseKeysFile } from "../../../services/shared/access/parseKeysFile.js";
import { captureLogger } from "../../helpers/captureLogger.js";
import { aidbConfigSchema } from "../../../services/aidb/aidbConfigSchema.js";
import { coordinatorConfigSchema } from "../../../services/coordinator/coordinatorConfigSchema.js";
import { inferenceConfigSchema } from "../../../services/inference/inferenceConfigSchema.js";

const dir = mkdtempSync(join(tmpdir(), "keystore-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("API keys", () => {
  it("are 256 random bits in base64url after aqk_, never the same twice", () => {
    const keys = Array.from({ length: 200 }, generateApiKey);
    expect(new Set(keys).size).toBe(200);
    for (const k of keys) expect(k).toMatch(new RegExp(`^${apiKeyPrefix}[A-Za-z0-9_-]{43}$`));
    // Every base64url character turns up in every position across many keys: no fixed or biased part.
    const chars = new Set(keys.flatMap((k) => [...k.slice(apiKeyPrefix.length)]));
    expect(chars.size).toBeGreaterThan(60);
    expect(hashApiKey("aqk_x")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keys file lines round-trip, and bad lines are refused with their line number", () => {
    const key = generateApiKey();
    const line = formatKeyLine({ name: "laptop", scopes: ["query", "ingest"], sha256: hashApiKey(key) });
    expect(line).toBe(`laptop query,ingest sha256:${hashApiKey(key)}`);
    const text = `# comment\n\n${line}\nphone query sha256:${"A".repeat(64)}   # trailing comment\n`;
    expect(parseKeysFile(text, "f")).toEqual([
      { name: "laptop", scopes: ["query", "ingest"], sha256: hashApiKey(key), line: 3 },
      { name: "phone", scopes: ["query"], sha256: "a".repeat(64), line: 4 },
    ]);
    const bad: Array<[string, RegExp]> = [
      [`laptop query ${key}`, /line 1: the hash is not sha256/],
      [`laptop query,root sha256:${"a".repeat(64)}`, /line 1: unknown scope "root"/],
      [`internal query sha256:${"a".repeat(64)}`, /line 1: the name "internal" is reserved/],
      [`a query sha256:${"a".repeat(64)}\na admin sha256:${"b".repeat(64)}`, /line 2: the name "a" is used twice/],
      [`a query sha256:${"a".repeat(64)}\nb admin sha256:${"a".repeat(64)}`, /line 2: this hash is listed twice/],
      [`just-a-name`, /line 1: 1 fields/],
    ];
    for (const [t, re] of bad) expect(() => parseKeysFile(t, "f"), t).toThrow(re);
  });

  it("verifies a presented key against its hash, with its scopes, and not a similar one", () => {
    const a = generateApiKey();
    const b = generateApiKey();
    const file = join(dir, "keys");
    writeFileSync(file, [formatKeyLine({ name: "a", scopes: ["query"], sha256: hashApiKey(a) }), formatKeyLine({ name: "b", scopes: ["admin"], sha256: hashApiKey(b) })].join("\n"));
    const store = createKeyStore({ apiKeysFile: file, logger: captureLogger().logger })!;
    expect(store.verify(a)).toMatchObject({ name: "a", keyId: hashApiKey(a).slice(0, 16), internal: false });
    expect([...store.verify(b)!.scopes]).toEqual(["admin"]);
    expect(store.verify(a.slice(0, -1) + (a.endsWith("A") ? "B" : "A"))).toBeUndefined();
    expect(store.verify(hashApiKey(a))).toBeUndefined(); // the stored hash is not a key
    expect(store.verify("")).toBeUndefined();
  });

  it("reads the keys file again when it changes (a revoked key stops working), and keeps the old keys when the new file is bad", async () => {
    const a = generateApiKey();
    const b = generateApiKey();
    const file = join(dir, "keys-reload");
    writeFileSync(file, formatKeyLine({ name: "a", scopes: ["query"], sha256: hashApiKey(a) }) + "\n");
    const logs = captureLogger();
    const store = createKeyStore({ apiKeysFile: file, logger: logs.logger, checkIntervalMs: 0 })!;
    expect(store.verify(a)?.name).toBe("a");
    // Replaced atomically, as aq keys revoke does: a removed, b added.
    writeFileSync(`${file}.tmp`, formatKeyLine({ name: "b", scopes: ["query"], sha256: hashApiKey(b) }) + "\n");
    renameSync(`${file}.tmp`, file);
    expect(store.verify(a)).toBeUndefined();
    expect(store.verify(b)?.name).toBe("b");
    expect(logs.lines()).toContainEqual(expect.objectContaining({ event: "api_keys_reloaded", added: ["b"], removed: ["a"] }));
    writeFileSync(`${file}.tmp`, "this is not a keys file\n");
    renameSync(`${file}.tmp`, file);
    expect(store.verify(b)?.name).toBe("b");
    expect(logs.lines()).toContainEqual(expect.objectContaining({ event: "api_keys_reload_failed" }));
    expect(logs.text()).not.toContain(a);
    expect(logs.text()).not.toContain(b);
  });

  it("accepts the internal key with the query and ingest scopes, and refuses a short one", () => {
    const internalFile = join(dir, "internal");
    const internal = generateApiKey();
    writeFileSync(internalFile, internal + "\n");
    const store = createKeyStore({ internalKeyFile: internalFile, logger: captureLogger().logger })!;
    expect(store.verify(internal)).toMatchObject({ name: "internal", internal: true });
    expect([...store.verify(internal)!.scopes]).toEqual(["query", "ingest"]);
    writeFileSync(internalFile, "short");
    expect(() => createKeyStore({ internalKeyFile: internalFile, logger: captureLogger().logger })).toThrow(/at least 22 characters/);
  });

  it("is not enforced without a keys file or an internal key, and a missing file is a KeysFileError", () => {
    expect(createKeyStore({ logger: captureLogger().logger })).toBeUndefined();
    expect(() => createKeyStore({ apiKeysFile: join(dir, "missing"), logger: captureLogger().logger })).toThrow(KeysFileError);
  });

  it("knows loopback addresses", () => {
    for (const a of ["127.0.0.1", "127.8.9.10", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "localhost", "[::1]"]) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ["0.0.0.0", "::", "192.168.1.5", "10.0.0.1", "::ffff:192.168.1.5", "fe80::1", "example.org", "", undefined]) expect(isLoopbackAddress(a), String(a)).toBe(false);
  });

  it("each service refuses to listen beyond loopback without apiKeysFile, naming host", () => {
    const base = {
      inference: { chatModel: "/m.gguf" },
      aidb: { embedModel: "/e.gguf" },
      coordinator: {},
    };
    const schemas = { inference: inferenceConfigSchema, aidb: aidbConfigSchema, coordinator: coordinatorConfigSchema };
    for (const [name, schema] of Object.entries(schemas)) {
      const settings = base[name as keyof typeof base];
      for (const host of ["0.0.0.0", "192.168.1.10", "::"]) {
        const r = schema.safeParse({ ...settings, host });
        expect(r.success, `${name} ${host}`).toBe(false);
        expect(r.error?.issues[0]).toMatchObject({ path: ["host"], message: expect.stringMatching(/needs API keys: set apiKeysFile/) });
        expect(schema.safeParse({ ...settings, host, apiKeysFile: "/keys" }).success, `${name} ${host} with keys`).toBe(true);
      }
      expect(schema.safeParse({ ...settings, host: "127.0.0.1" }).success).toBe(true);
    }
  });
});
