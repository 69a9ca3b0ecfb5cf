import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { AuditEvent } from "../../services/shared/audit/auditRecordSchema.js";
import { createAuditClient } from "../../services/shared/audit/createAuditClient.js";
import { startAuditWriter } from "../../services/shared/audit/startAuditWriter.js";
import { captureLogger } from "../helpers/captureLogger.js";
import { runAq } from "../helpers/spawnAq.js";

const dir = mkdtempSync(join(tmpdir(), "aq-audit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = (n: number): AuditEvent => ({
  time: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
  service: "inference",
  method: "POST",
  route: "/reload-model",
  key_name: "ops",
  key_id: "fedcba9876543210",
  params_sha256: "b".repeat(64),
  scope: "admin",
  tier: "high",
  status: 200,
  outcome: "ok",
  request_id: `r${n}`,
});

async function chain(name: string, n: number): Promise<string[]> {
  const file = join(dir, `${name}.jsonl`);
  const socket = join(dir, `${name}.sock`);
  const w = await startAuditWriter({ socket, file, logger: captureLogger().logger });
  const c = createAuditClient({ socket });
  for (let i = 1; i <= n; i++) await c.append(event(i));
  await c.close();
  await w.close();
  return readFileSync(file, "utf8").trim().split("\n");
}

describe("aq audit verify", () => {
  it("exits 0 on an intact file, 1 naming the first edited, removed or reordered line, 2 on a usage error", async () => {
    const lines = await chain("v", 4);
    const put = (name: string, ls: string[]) => {
      const f = join(dir, name);
      writeFileSync(f, ls.join("\n") + "\n");
      return f;
    };
    const ok = await runAq(["audit", "verify", put("ok.jsonl", lines)]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/4 records, chain intact; last seq 4, hash [0-9a-f]{64}/);

    const edited = [...lines];
    edited[1] = edited[1]!.replace('"status":200', '"status":500');
    const cases: Array<[string, string[], RegExp]> = [
      ["edited", edited, /line 2: its hash does not match its content/],
      ["removed", [lines[0]!, lines[2]!, lines[3]!], /line 2: it does not follow line 1/],
      ["reordered", [lines[0]!, lines[1]!, lines[3]!, lines[2]!], /line 3: it does not follow line 2/],
      ["first removed", lines.slice(1), /line 1: it does not follow line 0/],
    ];
    for (const [name, ls, message] of cases) {
      const r = await runAq(["audit", "verify", put(`${name}.jsonl`, ls)]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(message);
    }
    expect((await runAq(["audit", "verify"])).code).toBe(2);
    expect((await runAq(["audit", "verify", join(dir, "missing.jsonl")])).code).toBe(2);
    expect((await runAq(["audit"])).code).toBe(2);
  });
});

const isRoot = process.getuid?.() === 0 && spawnSync("setpriv", ["--version"]).status === 0;
if (!isRoot) console.warn("auditCli.test.ts: the ownership test is skipped: it needs root and setpriv to run processes as other users");

describe.skipIf(!isRoot)("the audit file belongs to the writer: a service process cannot open it, only append through the socket", () => {
  // Users that exist nowhere else: the writer (its group lets services reach the socket), a service in that group, an outsider.
  const writerUid = 61_000;
  const auditGid = 61_500;
  const serviceUid = 61_001;
  const outsiderUid = 61_002;

  it("runs aq audit serve as its own user and proves it with real processes", async () => {
    const root = join(dir, "priv");
    const state = join(root, "state");
    const run = join(root, "run");
    mkdirSync(state, { recursive: true });
    mkdirSync(run, { recursive: true });
    // Other users may pass through the test's directories, not list them.
    chmodSync(dir, 0o711);
    chmodSync(root, 0o711);
    // As on NixOS: the state directory is the writer's alone (0700); the socket's directory lets its group through (0750).
    chownSync(state, writerUid, auditGid);
    chmodSync(state, 0o700);
    chownSync(run, writerUid, auditGid);
    chmodSync(run, 0o750);
    const file = join(state, "audit.jsonl");
    const socket = join(run, "audit.sock");

    const writer = spawn("setpriv", [`--reuid=${writerUid}`, `--regid=${auditGid}`, "--clear-groups", process.execPath, inject("aqBin"), "audit", "serve", "--socket", socket, "--file", file], { stdio: ["ignore", "pipe", "pipe"] });
    let writerOut = "";
    writer.stdout!.on("data", (d) => (writerOut += d));
    writer.stderr!.on("data", (d) => (writerOut += d));
    try {
      const deadline = Date.now() + 15_000;
      while (!writerOut.includes("audit_writer_listening")) {
        if (writer.exitCode !== null || Date.now() > deadline) throw new Error(`the writer did not start: ${writerOut}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(statSync(file)).toMatchObject({ uid: writerUid });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(socket).mode & 0o777).toBe(0o660);

      // What a compromised service could try: open the file to write or read it, replace it, remove it; and what it may do: append through the socket.
      const probe = `
        const fs = require("node:fs"), net = require("node:net");
        const tryIt = (f) => { try { f(); return "ok"; } catch (e) { return e.code; } };
        const out = {
          write: tryIt(() => fs.openSync(${JSON.stringify(file)}, "a")),
          read: tryIt(() => fs.openSync(${JSON.stringify(file)}, "r")),
          rename: tryIt(() => fs.renameSync(${JSON.stringify(file)}, ${JSON.stringify(file)} + ".x")),
          unlink: tryIt(() => fs.unlinkSync(${JSON.stringify(file)})),
        };
        const s = net.connect(${JSON.stringify(socket)});
        s.on("error", (e) => { out.append = e.code; console.log(JSON.stringify(out)); });
        s.on("connect", () => s.write(JSON.stringify(${JSON.stringify(event(1))}) + "\\n"));
        s.on("data", (d) => { out.append = JSON.parse(String(d)); s.end(); console.log(JSON.stringify(out)); });
      `;
      const asUser = (uid: number, groups: string[]) =>
        JSON.parse(spawnSync("setpriv", [`--reuid=${uid}`, `--regid=${uid}`, ...groups, process.execPath, "-e", probe], { encoding: "utf8", timeout: 15_000 }).stdout);
      const service = asUser(serviceUid, [`--groups=${auditGid}`]);
      expect(service).toEqual({ write: "EACCES", read: "EACCES", rename: "EACCES", unlink: "EACCES", append: { ok: true, seq: 1 } });
      // Without the writer's group, not even the socket.
      const outsider = asUser(outsiderUid, ["--clear-groups"]);
      expect(outsider).toEqual({ write: "EACCES", read: "EACCES", rename: "EACCES", unlink: "EACCES", append: "EACCES" });

      expect(existsSync(file)).toBe(true);
      const verify = await runAq(["audit", "verify", file]);
      expect(verify.code, verify.stderr).toBe(0);
      expect(verify.stdout).toMatch(/1 records, chain intact/);
      expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ ...event(1), seq: 1 });
    } finally {
      if (writer.exitCode === null && writer.signalCode === null) {
        const exited = new Promise((r) => writer.once("exit", r));
        writer.kill("SIGTERM");
        await exited;
      }
    }
  });
});
