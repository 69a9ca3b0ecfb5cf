import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateCheckpoint } from "../../../services/coordinator/telemetry/daemon/checkpointSchema.js";
import { runAq, spawnAq, type AqProcess } from "../../helpers/spawnAq.js";
import { waitFor } from "../../helpers/startInferenceApp.js";

/** A telemetry line as the coordinator writes it. */
function line(i: number, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({
    ts: new Date(Date.UTC(2026, 0, 5, 0, 0, i)).toISOString(),
    type: "interaction",
    endpoint: "query",
    interaction_id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    project: null,
    query: `question ${i} about flakes`,
    response: `answer ${i} `.repeat(20),
    query_hash: `h${i}`,
    backend: "local",
    reason: "context_quality_ok",
    best_score: 0.8,
    cache: { hit: false, variant: "A" },
    status: "ok",
    ...extra,
  })}\n`;
}

let dir: string;
let telemetry: string;
let state: string;
const running: AqProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "continuous-learning-"));
  mkdirSync(join(dir, "coordinator"));
  telemetry = join(dir, "coordinator", "telemetry.jsonl");
  state = join(dir, "learning");
});
afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null) {
      p.child.kill("SIGKILL");
      await p.exited;
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const args = (...extra: string[]) => ["continuous-learning", "--telemetry-file", telemetry, "--state-dir", state, ...extra];
const start = (...extra: string[]) => {
  const p = spawnAq(args(...extra));
  running.push(p);
  return p;
};
const events = (p: AqProcess) =>
  p
    .stdout()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { event?: string; [k: string]: unknown });
const waitEvent = (p: AqProcess, event: string, timeoutMs = 20_000) =>
  waitFor(() => {
    if (p.child.exitCode !== null) throw new Error(`exited ${p.child.exitCode}: ${p.stderr()} ${p.stdout()}`);
    return events(p).find((e) => e.event === event);
  }, timeoutMs, event);
const sessionFiles = () => (existsSync(join(state, "sessions")) ? readdirSync(join(state, "sessions")).sort() : []);
const examplesIn = (file: string) => {
  const raw = readFileSync(join(state, "sessions", file));
  const text = file.endsWith(".gz") ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { interaction_id: string });
};
const checkpoint = () => JSON.parse(readFileSync(join(state, "checkpoint.json"), "utf8"));
/** The JSON report `--once` prints (log lines are JSON too, and may come after it). */
const report = (stdout: string) =>
  stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((x) => "checkpoint" in x);

describe("the continuous-learning daemon (aq continuous-learning)", () => {
  it("follows the telemetry file by events, keeps answered questions, and a second instance exits with continuous_learning_already_running", async () => {
    writeFileSync(telemetry, line(1) + line(2, { cache: { hit: true } }) + line(3, { status: "error", response: "" }));
    const daemon = start();
    await waitEvent(daemon, "continuous_learning_started");
    await waitFor(() => (checkpoint().counts.lines_read === 3 ? true : undefined), 10_000, "first lines");
    expect(Number(readFileSync(join(state, "continuous-learning.pid"), "utf8"))).toBe(daemon.child.pid);

    const second = await runAq(args());
    expect(second.code).toBe(3);
    expect(JSON.parse(second.stderr.trim())).toMatchObject({ event: "continuous_learning_already_running", pid: daemon.child.pid });
    // The refusal left the running daemon's lock alone.
    expect(Number(readFileSync(join(state, "continuous-learning.pid"), "utf8"))).toBe(daemon.child.pid);

    // New lines are picked up from the watcher's change events (a half-written line waits for its end).
    appendFileSync(telemetry, line(4) + line(5).slice(0, 40));
    await waitFor(() => (checkpoint().counts.lines_read === 4 ? true : undefined), 10_000, "line 4");
    appendFileSync(telemetry, line(5).slice(40));
    await waitFor(() => (checkpoint().counts.examples_written === 3 ? true : undefined), 10_000, "line 5").catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(checkpoint())} ${daemon.stdout()}`);
    });
    const [session] = sessionFiles();
    expect(examplesIn(session!).map((e) => e.interaction_id.slice(-2))).toEqual(["01", "04", "05"]);

    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    expect(existsSync(join(state, "continuous-learning.pid"))).toBe(false);
  });

  it("takes over a lock left by a process that died", async () => {
    const first = start();
    await waitEvent(first, "continuous_learning_started");
    first.child.kill("SIGKILL");
    await first.exited;
    expect(existsSync(join(state, "continuous-learning.pid"))).toBe(true);
    const next = start();
    await waitEvent(next, "continuous_learning_started");
    expect(events(next).find((e) => e.event === "stale_pid_lock_taken")).toMatchObject({ stale_pid: first.child.pid });
  });

  it("refuses a new session under disk pressure (disk_pressure_warning) without losing lines, and starts one when there is room", async () => {
    writeFileSync(telemetry, line(1) + line(2));
    const r = await runAq(args("--once", "--min-free-bytes", String(Number.MAX_SAFE_INTEGER)));
    expect(r.code).toBe(1);
    const warning = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("{") && l.includes("disk_pressure_warning"))
      .map((l) => JSON.parse(l))[0];
    expect(warning).toMatchObject({ level: "warn", event: "disk_pressure_warning", min_free_bytes: Number.MAX_SAFE_INTEGER });
    expect(warning.free_bytes).toBeGreaterThan(0);
    expect(sessionFiles()).toEqual([]);
    expect(checkpoint().source.offset).toBe(0); // the lines wait
    const ok = await runAq(args("--once", "--min-free-bytes", "1024"));
    expect(ok.code).toBe(0);
    expect(report(ok.stdout)).toMatchObject({ examples: 2, blocked: false });
    expect(examplesIn(sessionFiles()[0]!)).toHaveLength(2);
  });

  it("compresses a full session and starts the next one, every example kept once", async () => {
    const n = 60;
    writeFileSync(telemetry, Array.from({ length: n }, (_, i) => line(i + 1)).join(""));
    const r = await runAq(args("--once", "--rotate-bytes", "4096"));
    expect(r.code).toBe(0);
    const files = sessionFiles();
    const gz = files.filter((f) => f.endsWith(".jsonl.gz"));
    expect(gz.length).toBeGreaterThan(2);
    expect(files.filter((f) => f.endsWith(".jsonl")).length).toBeLessThanOrEqual(1);
    for (const f of gz) expect(readFileSync(join(state, "sessions", f)).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const ids = files.flatMap(examplesIn).map((e) => e.interaction_id);
    expect(ids).toHaveLength(n);
    expect(new Set(ids).size).toBe(n);
    expect(checkpoint().counts.sessions).toBe(files.length);
  });

  it("follows the coordinator's own rotation of telemetry.jsonl to .1 without losing the old file's tail", async () => {
    writeFileSync(telemetry, line(1));
    expect((await runAq(args("--once"))).code).toBe(0);
    appendFileSync(telemetry, line(2));
    renameSync(telemetry, `${telemetry}.1`);
    writeFileSync(telemetry, line(3));
    const r = await runAq(args("--once"));
    expect(report(r.stdout)).toMatchObject({ examples: 2 });
    expect(sessionFiles().flatMap(examplesIn).map((e) => e.interaction_id.slice(-1))).toEqual(["1", "2", "3"]);
  });

  it("migrates a version 1 checkpoint (resuming at its offset), writes it atomically, and refuses a newer version", async () => {
    writeFileSync(telemetry, line(1) + line(2) + line(3) + line(4) + line(5));
    const offset = Buffer.byteLength(line(1) + line(2) + line(3));
    mkdirSync(state, { recursive: true });
    writeFileSync(join(state, "checkpoint.json"), JSON.stringify({ schema_version: 1, file: telemetry, offset, examples: 3 }));
    const r = await runAq(args("--once"));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"event":"checkpoint_migrated"');
    const cp = checkpoint();
    expect(cp).toMatchObject({ schema_version: 2, migrated_from: 1, source: { file: telemetry, offset: Buffer.byteLength(line(1) + line(2) + line(3) + line(4) + line(5)) } });
    expect(cp.counts.examples_written).toBe(5);
    expect(sessionFiles().flatMap(examplesIn).map((e) => e.interaction_id.slice(-1))).toEqual(["4", "5"]);
    expect(readdirSync(state).filter((f) => f.endsWith(".tmp"))).toEqual([]);

    // A checkpoint without schema_version is version 1; version 99 is refused and left as it was.
    expect(migrateCheckpoint({ file: "f", offset: 7 })).toMatchObject({ schema_version: 2, source: { offset: 7 }, migrated_from: 1 });
    writeFileSync(join(state, "checkpoint.json"), JSON.stringify({ schema_version: 99 }));
    const newer = await runAq(args("--once"));
    expect(newer.code).toBe(2);
    expect(newer.stderr).toMatch(/schema_version 99/);
    expect(checkpoint()).toEqual({ schema_version: 99 });
    expect(existsSync(join(state, "continuous-learning.pid"))).toBe(false);
  });
});
