import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTelemetryLog } from "../../../services/coordinator/telemetry/createTelemetryLog.js";
import { redactDeep } from "../../../services/shared/text/redactDeep.js";
import { fakeSecrets } from "../../aidb/helpers/fakeSecrets.js";
import { captureLogger } from "../../helpers/captureLogger.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "telemetry-test-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const readLines = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("createTelemetryLog", () => {
  it("appends one parseable JSON line per record, in order; close() flushes what was queued", async () => {
    const file = join(dir, "state", "telemetry", "interactions.jsonl");
    const log = createTelemetryLog({ file, logger: captureLogger().logger });
    for (let i = 0; i < 200; i++) log.append({ i, query: `question ${i}`, timings: { total_ms: i * 1.5 }, docs: ["a", "b"] });
    await log.close(); // not flushed before: close must wait for the queue
    const lines = readLines(file);
    expect(lines).toHaveLength(200);
    expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(lines[7]).toEqual({ i: 7, query: "question 7", timings: { total_ms: 10.5 }, docs: ["a", "b"] });
    expect(log.stats()).toEqual({ written: 200, failures: 0, rotations: 0 });
  });

  it("makes a new directory 0700 and the file 0600, and appends to an existing file", async () => {
    const file = join(dir, "new", "t.jsonl");
    const log = createTelemetryLog({ file, logger: captureLogger().logger });
    log.append({ a: 1 });
    await log.close();
    expect(statSync(join(dir, "new")).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = createTelemetryLog({ file, logger: captureLogger().logger });
    again.append({ a: 2 });
    await again.close();
    expect(readLines(file)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it.each(fakeSecrets)("redacts a %s in strings at any depth", async (kind, secret, line) => {
    const file = join(dir, "t.jsonl");
    const log = createTelemetryLog({ file, logger: captureLogger().logger });
    log.append({ query: line, sources: [{ title: "t", meta: { url: line, list: [line] } }], error: new Error(`failed: ${line}`) });
    await log.close();
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(secret);
    const [rec] = readLines(file);
    expect(rec.query).toContain(`[REDACTED:${kind}]`);
    expect(JSON.stringify(rec.sources)).toContain(`[REDACTED:${kind}]`);
    expect(rec.error).toEqual({ name: "Error", message: expect.stringContaining(`[REDACTED:${kind}]`) });
  });

  it("rotates to file.1 before a line would pass maxBytes, keeping each file under the limit", async () => {
    const file = join(dir, "t.jsonl");
    const maxBytes = 300;
    const log = createTelemetryLog({ file, maxBytes, logger: captureLogger().logger });
    const record = (i: number) => ({ i, pad: "x".repeat(40) }); // 58-59 bytes a line
    for (let i = 0; i < 5; i++) log.append(record(i));
    await log.flush();
    expect(existsSync(`${file}.1`)).toBe(false);
    const fiveLines = statSync(file).size;
    expect(fiveLines).toBeLessThanOrEqual(maxBytes);
    log.append(record(5)); // would pass 300
    await log.flush();
    expect(readLines(`${file}.1`).map((l) => l.i)).toEqual([0, 1, 2, 3, 4]);
    expect(readLines(file).map((l) => l.i)).toEqual([5]);
    for (let i = 6; i < 23; i++) log.append(record(i));
    await log.close();
    // One older generation is kept: the newest lines survive, in order, across the two files.
    const kept = [...readLines(`${file}.1`), ...readLines(file)].map((l) => l.i as number);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => 23 - kept.length + k));
    expect(statSync(file).size).toBeLessThanOrEqual(maxBytes);
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(maxBytes);
    expect(log.stats()).toMatchObject({ written: 23, failures: 0, rotations: 4 });
  });

  it("logs and counts a failing write instead of throwing", async () => {
    const file = join(dir, "is-a-directory");
    mkdirSync(file);
    const capture = captureLogger();
    const log = createTelemetryLog({ file, logger: capture.logger });
    expect(() => log.append({ a: 1 })).not.toThrow();
    log.append({ a: 2 });
    await log.flush();
    log.append({ a: 3 });
    await log.close();
    expect(log.stats()).toEqual({ written: 0, failures: 3, rotations: 0 });
    const warnings = capture.lines().filter((l) => l.level === "warn");
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0]).toMatchObject({ msg: "telemetry write failed; lines dropped", file });
    // After close, appends are dropped and counted, still without throwing.
    expect(() => log.append({ a: 4 })).not.toThrow();
    expect(log.stats().failures).toBe(4);
  });

  it("recovers once the file can be written again", async () => {
    const file = join(dir, "later", "t.jsonl");
    mkdirSync(join(dir, "later"));
    mkdirSync(file); // a directory in the file's place: writes fail
    const log = createTelemetryLog({ file, logger: captureLogger().logger });
    log.append({ a: 1 });
    await log.flush();
    rmSync(file, { recursive: true });
    log.append({ a: 2 });
    await log.close();
    expect(readLines(file)).toEqual([{ a: 2 }]);
    expect(log.stats()).toEqual({ written: 1, failures: 1, rotations: 0 });
  });
});

describe("redactDeep", () => {
  it("makes any value JSON-safe: dates, bigints, cycles, undefined, secret-named keys", () => {
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const shared = { x: 1 };
    expect(
      redactDeep({
        when: new Date("2026-11-20T10:00:00Z"),
        big: 12345678901234567890n,
        gone: undefined,
        fn: () => 1,
        list: [undefined, 1, "a"],
        cyclic,
        twice: [shared, shared],
        password: "hunter22hunter",
        apiKey: "abc",
        token: null,
        nested: { Authorization: "Basic dXNlcjpwYXNz" },
      }),
    ).toEqual({
      when: "2026-11-20T10:00:00.000Z",
      big: "12345678901234567890",
      list: [null, 1, "a"],
      cyclic: { name: "loop", self: "[Circular]" },
      twice: [{ x: 1 }, { x: 1 }],
      password: "[REDACTED]",
      apiKey: "[REDACTED]",
      token: null,
      nested: { Authorization: "[REDACTED]" },
    });
  });
});
