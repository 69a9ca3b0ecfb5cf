import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { runAq } from "../helpers/spawnAq.js";
import { freePort } from "../helpers/startRedis.js";

/** Whether something accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

const exitOf = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });

describe("aq up", () => {
  const dirs: string[] = [];
  const started: ChildProcess[] = [];

  afterAll(async () => {
    // Only when the test failed half-way: the whole process group (aq up was
    // started as its leader), services included.
    for (const up of started) {
      if (up.pid === undefined || up.exitCode !== null || up.signalCode !== null) continue;
      try {
        process.kill(-up.pid, "SIGKILL");
      } catch {
        // already gone
      }
      await exitOf(up);
    }
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }, 60_000);

  it("starts the stack, answers aq ask, and stops every service on SIGTERM", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "aq-up-"));
    dirs.push(dataDir);
    const models = inject("models");
    const ports = { coordinator: await freePort(), aidb: await freePort(), inference: await freePort(), embed: await freePort() };
    const up = spawn(
      process.execPath,
      [
        inject("aqBin"),
        "up",
        "--data-dir",
        dataDir,
        "--chat-model",
        models.chatShort,
        "--embed-model",
        models.embed,
        "--coordinator-port",
        String(ports.coordinator),
        "--aidb-port",
        String(ports.aidb),
        "--inference-port",
        String(ports.inference),
        "--embed-port",
        String(ports.embed),
      ],
      // Its own process group, so a failed test can still clean up everything.
      { stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    started.push(up);
    let stdout = "";
    let stderr = "";
    up.stdout!.on("data", (d) => (stdout += d));
    up.stderr!.on("data", (d) => (stderr += d));
    const exited = exitOf(up);

    const deadline = Date.now() + 240_000;
    while (!stdout.includes("ai-stack is up:")) {
      if (up.exitCode !== null || up.signalCode !== null) throw new Error(`aq up exited (${up.exitCode ?? up.signalCode}) before it was up:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`aq up was not up within 240 s:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const coordinatorUrl = `http://127.0.0.1:${ports.coordinator}`;
    expect(stdout).toContain(`coordinator  ${coordinatorUrl}`);
    // Real models were given: no synthetic-model warning.
    expect(stderr).not.toContain("SYNTHETIC");
    for (const port of Object.values(ports)) expect(await accepts(port)).toBe(true);

    const ask = await runAq(["ask", "what is a flake?", "--url", coordinatorUrl]);
    expect(ask.stderr).toBe("");
    expect(ask.code).toBe(0);
    const lines = ask.stdout.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0].trim()).not.toBe("");
    expect(lines.at(-1)).toMatch(/^local \(.*; rate it: aq rate \S+ good\|bad$/);

    up.kill("SIGTERM");
    const result = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 30_000))]);
    expect(result, stderr).toEqual({ code: 0, signal: null });
    expect(stderr).toContain("aq up: stopped");
    // No service is left behind.
    for (const [name, port] of Object.entries(ports)) expect(await accepts(port), `${name} on ${port}`).toBe(false);
  }, 330_000);

  it("a SIGTERM while the services start stops them too (none is orphaned), exit 0", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "aq-up-"));
    dirs.push(dataDir);
    const models = inject("models");
    const ports = { coordinator: await freePort(), aidb: await freePort(), inference: await freePort(), embed: await freePort() };
    const args = ["--coordinator-port", ports.coordinator, "--aidb-port", ports.aidb, "--inference-port", ports.inference, "--embed-port", ports.embed].map(String);
    const up = spawn(process.execPath, [inject("aqBin"), "up", "--data-dir", dataDir, "--chat-model", models.chatShort, "--embed-model", models.embed, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    started.push(up);
    let stderr = "";
    up.stderr!.on("data", (d) => (stderr += d));
    const exited = exitOf(up);
    // The first services are listening; the coordinator is not started yet.
    const deadline = Date.now() + 120_000;
    while (!(await accepts(ports.inference))) {
      if (up.exitCode !== null) throw new Error(`aq up exited early: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`inference never listened: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await accepts(ports.coordinator)).toBe(false);
    up.kill("SIGTERM");
    const result = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 120_000))]);
    expect(result, stderr).toEqual({ code: 0, signal: null });
    expect(stderr).toContain("aq up: stopped");
    for (const [name, port] of Object.entries(ports)) expect(await accepts(port), `${name} on ${port}`).toBe(false);
  }, 300_000);

  it("refuses a --chat-model file that does not exist, exit 2", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "aq-up-"));
    dirs.push(dataDir);
    const missing = join(dataDir, "no-such-model.gguf");
    const r = await runAq(["up", "--data-dir", dataDir, "--chat-model", missing, "--coordinator-port", String(await freePort())]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`--chat-model: no such file: ${missing}`);
  });
});
