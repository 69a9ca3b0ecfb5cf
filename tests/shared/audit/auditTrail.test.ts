import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../../services/shared/audit/auditRecordSchema.js";
import { createAuditClient } from "../../../services/shared/audit/createAuditClient.js";
import { startAuditWriter } from "../../../services/shared/audit/startAuditWriter.js";
import { verifyAuditLog } from "../../../services/shared/audit/verifyAuditLog.js";
import { captureLogger } from "../../helpers/captureLogger.js";

const dir = mkdtempSync(join(tmpdir(), "audit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = (n: number, over: Partial<AuditEvent> = {}): AuditEvent => ({
  time: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  service: "aidb",
  method: "POST",
  route: "/gc",
  key_name: "ops",
  key_id: "0123456789abcdef",
  params_sha256: "a".repeat(64),
  scope: "admin",
  tier: "high",
  status: 200,
  outcome: "ok",
  request_id: `req-${n}`,
  ...over,
});

describe("the audit writer and its hash chain", () => {
  it("appends each event as a chained record, answers with its seq, and continues the chain after a restart", async () => {
    const file = join(dir, "a.jsonl");
    const socket = join(dir, "a.sock");
    const logs = captureLogger();
    let writer = await startAuditWriter({ socket, file, logger: logs.logger });
    expect(statSync(socket).mode & 0o777).toBe(0o660);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const client = createAuditClient({ socket });
    expect(await Promise.all([1, 2, 3].map((n) => client.append(event(n))))).toEqual([1, 2, 3]);
    await expect(client.append({ ...event(4), tier: "extreme" } as unknown as AuditEvent)).rejects.toThrow(/refused the event: tier/);
    await client.close();
    await writer.close();

    writer = await startAuditWriter({ socket, file, logger: logs.logger });
    const again = createAuditClient({ socket });
    expect(await again.append(event(5))).toBe(4);
    await again.close();
    await writer.close();

    const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(lines[0]).toMatchObject({ ...event(1), seq: 1, prev: "0".repeat(64) });
    for (let i = 1; i < lines.length; i++) expect(lines[i].prev).toBe(lines[i - 1].hash);
    expect(verifyAuditLog(readFileSync(file, "utf8"))).toEqual({ ok: true, records: 4, head: { seq: 4, hash: lines[3].hash } });
    // The writer's own log has each record's seq and hash, to compare the file's end with.
    expect(logs.lines().filter((l) => l.event === "audit_appended").map((l) => l.seq)).toEqual([1, 2, 3, 4]);
  });

  it("fails an unreachable writer fast, so the service can keep the record in its log", async () => {
    const client = createAuditClient({ socket: join(dir, "nobody.sock") });
    await expect(client.append(event(1))).rejects.toThrow(/cannot reach the audit writer .*ENOENT/);
    await client.close();
  });

  it("refuses to continue a file whose last line is not a record", async () => {
    const file = join(dir, "torn.jsonl");
    writeFileSync(file, "");
    const w = await startAuditWriter({ socket: join(dir, "t.sock"), file, logger: captureLogger().logger });
    const c = createAuditClient({ socket: join(dir, "t.sock") });
    await c.append(event(1));
    await c.close();
    await w.close();
    appendFileSync(file, '{"seq": 2, "torn');
    await expect(startAuditWriter({ socket: join(dir, "t.sock"), file, logger: captureLogger().logger })).rejects.toThrow(/last line is not an audit record/);
  });
});

describe("verifyAuditLog", () => {
  const chain = async (n: number) => {
    const file = join(dir, `v${n}-${Math.random()}.jsonl`);
    const socket = join(dir, `v-${n}.sock`);
    const w = await startAuditWriter({ socket, file, logger: captureLogger().logger });
    const c = createAuditClient({ socket });
    for (let i = 1; i <= n; i++) await c.append(event(i));
    await c.close();
    await w.close();
    return readFileSync(file, "utf8").trim().split("\n");
  };

  it("names the first line that was edited, removed, reordered or inserted", async () => {
    const lines = await chain(5);
    const text = (ls: string[]) => ls.join("\n") + "\n";
    expect(verifyAuditLog(text(lines)).ok).toBe(true);
    expect(verifyAuditLog("")).toEqual({ ok: true, records: 0, head: { seq: 0, hash: "0".repeat(64) } });

    const edited = [...lines];
    edited[2] = edited[2]!.replace('"status":200', '"status":403');
    expect(verifyAuditLog(text(edited))).toMatchObject({ ok: false, line: 3, reason: expect.stringMatching(/hash does not match/) });

    const rehashed = JSON.parse(lines[2]!);
    rehashed.key_name = "someone-else"; // edited, and its hash recomputed by someone who knows the scheme
    const { createHash } = await import("node:crypto");
    const { canonicalJson } = await import("../../../services/shared/audit/canonicalJson.js");
    const { hash: _drop, ...body } = rehashed;
    rehashed.hash = createHash("sha256").update(canonicalJson(body)).digest("hex");
    const forged = [...lines];
    forged[2] = JSON.stringify(rehashed);
    expect(verifyAuditLog(text(forged))).toMatchObject({ ok: false, line: 4, reason: expect.stringMatching(/does not follow line 3/) });

    expect(verifyAuditLog(text(lines.filter((_, i) => i !== 1)))).toMatchObject({ ok: false, line: 2 });
    expect(verifyAuditLog(text(lines.slice(1)))).toMatchObject({ ok: false, line: 1 });
    expect(verifyAuditLog(text([lines[0]!, lines[2]!, lines[1]!, lines[3]!, lines[4]!]))).toMatchObject({ ok: false, line: 2 });
    expect(verifyAuditLog(text([...lines.slice(0, 3), lines[1]!, ...lines.slice(3)]))).toMatchObject({ ok: false, line: 4 });
    expect(verifyAuditLog(text([...lines.slice(0, 2), "not json", ...lines.slice(2)]))).toMatchObject({ ok: false, line: 3, reason: "not a JSON record" });
    // A cut at the end still verifies, with an earlier head: that is what the writer's journal is for.
    expect(verifyAuditLog(text(lines.slice(0, 3)))).toMatchObject({ ok: true, records: 3, head: { seq: 3 } });
  });
});
