import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../helpers/startRedis.js";

const exitOf = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });

/** `aq up --embed-query-prefix --embed-document-prefix`: the embedding model's prefixes reach aidb and the coordinator. */
describe("aq up with the embedding model's prefixes", () => {
  let up: ChildProcess | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    if (up?.pid !== undefined && up.exitCode === null && up.signalCode === null) {
      try {
        process.kill(-up.pid, "SIGKILL");
      } catch {
        // already gone
      }
      await exitOf(up);
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("gives aidb both prefixes and the coordinator the query prefix", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "aq-up-prefixes-"));
    const models = inject("models");
    const ports = { coordinator: await freePort(), aidb: await freePort(), inference: await freePort(), embed: await freePort() };
    const args = ["--coordinator-port", ports.coordinator, "--aidb-port", ports.aidb, "--inference-port", ports.inference, "--embed-port", ports.embed].map(String);
    up = spawn(
      process.execPath,
      [inject("aqBin"), "up", "--data-dir", dataDir, "--chat-model", models.chatShort, "--embed-model", models.embed, ...args, "--embed-query-prefix", "search_query: ", "--embed-document-prefix", "search_document: "],
      { stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    let stdout = "";
    let stderr = "";
    up.stdout!.on("data", (d) => (stdout += d));
    up.stderr!.on("data", (d) => (stderr += d));
    const deadline = Date.now() + 240_000;
    while (!stdout.includes("ai-stack is up:")) {
      if (up.exitCode !== null || up.signalCode !== null) throw new Error(`aq up exited (${up.exitCode ?? up.signalCode}) before it was up:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`aq up was not up within 240 s:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const aidb = (await (await fetch(`http://127.0.0.1:${ports.aidb}/status`)).json()) as { embedding_model: { documentPrefix?: string } };
    expect(aidb.embedding_model.documentPrefix).toBe("search_document: ");
    const coordinator = (await (await fetch(`http://127.0.0.1:${ports.coordinator}/config/env`)).json()) as { config: { embedQueryPrefix: string } };
    expect(coordinator.config.embedQueryPrefix).toBe("search_query: ");
    const search = await fetch(`http://127.0.0.1:${ports.aidb}/search?q=flakes&mode=semantic`);
    expect(search.status).toBe(200);

    up.kill("SIGTERM");
    expect(await exitOf(up)).toEqual({ code: 0, signal: null });
  }, 300_000);
});
