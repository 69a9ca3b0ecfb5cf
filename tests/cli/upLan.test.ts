import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { generateApiKey, hashApiKey } from "../../services/shared/access/generateApiKey.js";
import { formatKeyLine } from "../../services/shared/access/parseKeysFile.js";
import { runAq } from "../helpers/spawnAq.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("aq up --host", () => {
  it("refuses an address beyond loopback without API keys (exit 2), before starting anything", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aq-up-host-"));
    dirs.push(dataDir);
    for (const host of ["0.0.0.0", "192.168.1.10", "::"]) {
      const r = await runAq(["up", "--data-dir", dataDir, "--host", host]);
      expect(r.code, `${host}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`--host ${host.replace(/\./g, "\\.")} would open the stack beyond this machine without API keys: add --api-keys-file`));
    }
    const missing = await runAq(["up", "--data-dir", dataDir, "--host", "192.168.1.10", "--api-keys-file", join(dataDir, "nope")]);
    expect(missing.code).toBe(2);
    writeFileSync(join(dataDir, "bad-keys"), "phone query aqk_this_is_a_key_not_a_hash\n");
    const bad = await runAq(["up", "--data-dir", dataDir, "--host", "192.168.1.10", "--api-keys-file", join(dataDir, "bad-keys")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/line 1: the hash is not sha256/);
  });
});

const canNetns = process.getuid?.() === 0 && spawnSync("unshare", ["-n", "ip", "addr", "add", "10.77.0.1/24", "dev", "lo"]).status === 0 && spawnSync("nsenter", ["--version"]).status === 0;
if (!canNetns) console.warn("upLan.test.ts: the LAN test is skipped: it needs root, unshare, nsenter and ip to make its own network namespace");

describe.skipIf(!canNetns)("the stack on a LAN address, in a network namespace of its own", () => {
  let up: ChildProcess | undefined;
  afterAll(async () => {
    if (up?.pid && up.exitCode === null && up.signalCode === null) {
      const exited = new Promise((r) => up!.once("exit", r));
      up.kill("SIGTERM");
      await exited;
    }
  }, 60_000);

  it("serves the coordinator on 10.77.0.1 with keys, keeps aidb and inference on loopback, and audits admin calls", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aq-up-lan-"));
    dirs.push(dataDir);
    const reader = generateApiKey();
    const admin = generateApiKey();
    const keysFile = join(dataDir, "keys");
    writeFileSync(keysFile, [formatKeyLine({ name: "phone", scopes: ["query"], sha256: hashApiKey(reader) }), formatKeyLine({ name: "laptop", scopes: ["query", "ingest", "admin"], sha256: hashApiKey(admin) })].join("\n") + "\n");
    const models = inject("models");
    // A network namespace with only its own loopback device, which also gets a LAN-style address: a
    // client that connects to 10.77.0.1 arrives from 10.77.0.1, not from 127.0.0.1. Nothing leaves it.
    const script = `ip link set lo up && ip addr add 10.77.0.1/24 dev lo && exec "$0" "$@"`;
    up = spawn("unshare", ["-n", "sh", "-c", script, process.execPath, inject("aqBin"), "up", "--data-dir", dataDir, "--chat-model", models.chatShort, "--embed-model", models.embed, "--host", "10.77.0.1", "--api-keys-file", keysFile], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    up.stdout!.on("data", (d) => (out += d));
    up.stderr!.on("data", (d) => (out += d));
    const deadline = Date.now() + 150_000;
    while (!out.includes("ai-stack is up")) {
      if (up.exitCode !== null || Date.now() > deadline) throw new Error(`aq up did not come up: ${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(out).toMatch(/coordinator +http:\/\/10\.77\.0\.1:8003/);
    expect(out).toMatch(/API keys enforced \(2 in /);

    /** curl inside aq up's namespace: the status code and the body. */
    const curl = (args: string[]) => {
      const r = spawnSync("nsenter", [`--net=/proc/${up!.pid}/ns/net`, "curl", "-s", "-m", "30", "-w", "\n%{http_code}", ...args], { encoding: "utf8" });
      const lines = r.stdout.trimEnd().split("\n");
      const code = Number(lines.pop());
      return { code, body: lines.join("\n") };
    };
    const bearer = (key: string) => ["-H", `authorization: Bearer ${key}`];
    const json = ["-H", "content-type: application/json"];

    expect(curl(["http://10.77.0.1:8003/health"]).code).toBe(200);
    expect(curl(["http://10.77.0.1:8003/status"]).code).toBe(401);
    // /metrics and /ready are open to loopback only: from a LAN address they need a key.
    expect(curl(["http://10.77.0.1:8003/metrics"]).code).toBe(401);
    expect(curl([...bearer(reader), "http://10.77.0.1:8003/metrics"]).code).toBe(200);
    expect(curl([...bearer(reader), "http://10.77.0.1:8003/status"]).code).toBe(200);
    // The internal services are not on the LAN address at all.
    for (const port of [8002, 8080, 8081]) expect(curl([`http://10.77.0.1:${port}/health`]).code, String(port)).toBe(0);

    const doc = { project: "lan", title: "Flakes", text: "Flake inputs are pinned in flake.lock; nix flake update refreshes the lock file." };
    expect(curl([...bearer(reader), ...json, "-d", JSON.stringify(doc), "http://127.0.0.1:8002/documents"]).code).toBe(403);
    const stored = curl([...bearer(admin), ...json, "-d", JSON.stringify(doc), "http://127.0.0.1:8002/documents"]);
    expect(stored.code, stored.body).toBe(200);
    const id = JSON.parse(stored.body).results[0].id;
    // Over the LAN address: the coordinator reaches aidb, and aidb the embeddings service, with the internal key.
    const answer = curl([...bearer(reader), ...json, "-d", JSON.stringify({ query: "how are flake inputs pinned?", project: "lan" }), "http://10.77.0.1:8003/query"]);
    expect(answer.code, answer.body).toBe(200);
    expect(JSON.parse(answer.body).context).toMatchObject({ sources: [expect.objectContaining({ document_id: id })] });
    expect(JSON.parse(answer.body).context.retrieval_error).toBeUndefined();

    expect(curl([...bearer(reader), ...json, "-d", "{}", "http://127.0.0.1:8002/gc"]).code).toBe(403);
    expect(curl([...bearer(admin), ...json, "-d", '{"dry_run":true}', "http://127.0.0.1:8002/gc"]).code).toBe(200);

    const exited = new Promise<number | null>((r) => up!.once("exit", (code) => r(code)));
    up.kill("SIGTERM");
    expect(await exited).toBe(0);

    const auditFile = join(dataDir, "audit", "audit.jsonl");
    const records = readFileSync(auditFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(records.map((r) => [r.route, r.key_name, r.status])).toEqual([
      ["/gc", "phone", 403],
      ["/gc", "laptop", 200],
    ]);
    const verify = await runAq(["audit", "verify", auditFile]);
    expect(verify.code, verify.stderr).toBe(0);
    // The internal key lives in the data directory, 0600, and in no log.
    const internal = readFileSync(join(dataDir, "secrets", "internal-key"), "utf8").trim();
    for (const svc of ["coordinator", "aidb", "inference", "embeddings", "audit"]) expect(readFileSync(join(dataDir, "logs", `${svc}.log`), "utf8")).not.toContain(internal);
  }, 240_000);
});
