import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../services/shared/access/generateApiKey.js";
import { parseKeysFile } from "../../services/shared/access/parseKeysFile.js";
import { runAq } from "../helpers/spawnAq.js";

const dir = mkdtempSync(join(tmpdir(), "aq-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("aq keys", () => {
  it("create prints the key once on stdout and the keys-file line (its hash only) on stderr", async () => {
    const r = await runAq(["keys", "create", "--name", "laptop", "--scopes", "query,ingest"]);
    expect(r.code, r.stderr).toBe(0);
    const key = r.stdout.trim();
    expect(key).toMatch(/^aqk_[A-Za-z0-9_-]{43}$/);
    expect(r.stderr).toContain(`laptop query,ingest sha256:${hashApiKey(key)}`);
    expect(r.stderr).toMatch(/shown once/);
    expect(r.stderr).not.toContain(key);
  });

  it("create --file adds the line to a new 0600 file, list shows names and scopes but never keys, revoke removes the line", async () => {
    const file = join(dir, "keys");
    const a = await runAq(["keys", "create", "--name", "phone", "--scopes", "query", "--file", file]);
    const b = await runAq(["keys", "create", "--name", "ops", "--scope", "admin,query", "--file", file]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(a.stdout.trim());
    expect(parseKeysFile(text, file).map((e) => [e.name, e.scopes, e.sha256])).toEqual([
      ["phone", ["query"], hashApiKey(a.stdout.trim())],
      ["ops", ["query", "admin"], hashApiKey(b.stdout.trim())],
    ]);
    const list = await runAq(["keys", "list", "--file", file]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^phone +query +key id [0-9a-f]{16}$/m);
    expect(list.stdout).toMatch(/^ops +query,admin +key id/m);
    expect(list.stdout).not.toMatch(/aqk_/);

    const dup = await runAq(["keys", "create", "--name", "phone", "--scopes", "query", "--file", file]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/already has a key named "phone"/);

    const revoked = await runAq(["keys", "revoke", "--name", "phone", "--file", file]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(parseKeysFile(readFileSync(file, "utf8"), file).map((e) => e.name)).toEqual(["ops"]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await runAq(["keys", "revoke", "--name", "phone", "--file", file])).code).toBe(1);
  });

  it("refuses bad arguments with exit 2", async () => {
    for (const args of [
      ["keys"],
      ["keys", "create", "--name", "x"],
      ["keys", "create", "--name", "x", "--scope", "query", "--scopes", "query"],
      ["keys", "create", "--name", "x", "--scopes", "root"],
      ["keys", "create", "--name", "internal", "--scopes", "query"],
      ["keys", "create", "--name", "has space", "--scopes", "query"],
      ["keys", "list", "--file", join(dir, "missing")],
    ]) {
      const r = await runAq(args);
      expect(r.code, args.join(" ")).toBe(2);
    }
    writeFileSync(join(dir, "bad"), "phone query aqk_notahash\n");
    const bad = await runAq(["keys", "list", "--file", join(dir, "bad")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/line 1: the hash is not sha256/);
  });
});
