import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { chatBody, postJson, readSse, waitFor } from "../helpers/startInferenceApp.js";
import { listeningPort, runAq, spawnAq } from "../helpers/spawnAq.js";

const dir = mkdtempSync(join(tmpdir(), "aq-serve-"));

describe("aq serve inference: bad configuration exits with code 2", () => {
  it.each([
    ["a non-numeric flag", ["--threads", "many"], {}, /threads.*"many"/],
    ["a port out of range", ["--port", "70000"], {}, /port/],
    ["a bad environment value", [], { AI_INFERENCE_QUEUE_LIMIT: "-3" }, /queueLimit.*AI_INFERENCE_QUEUE_LIMIT/],
    ["an unknown flag", ["--threadz", "2"], {}, /threadz/],
    ["a bad sha256", ["--chat-model-sha256", "abc"], {}, /chatModelSha256/],
  ])("%s", async (_name, args, env, message) => {
    const r = await runAq(["serve", "inference", "--chat-model", inject("models").chat, "--port", "0", ...args], env as NodeJS.ProcessEnv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("a config file with an unknown key or a missing model", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ chatModel: inject("models").chat, sequencez: 2 }));
    const unknown = await runAq(["serve", "inference", "--config", file]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown key "sequencez"');
    const missing = await runAq(["serve", "inference", "--port", "0"], { AI_STACK_CONFIG: "" });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('"chatModel"');
  });

  it("a chat model that fails verification", async () => {
    const junk = join(dir, "junk.gguf");
    writeFileSync(junk, "definitely not gguf");
    const r = await runAq(["serve", "inference", "--chat-model", junk, "--port", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/gguf/i);
  });

  it("an unknown command or service", async () => {
    expect((await runAq(["frobnicate"])).code).toBe(2);
    expect((await runAq(["serve", "nothing"])).code).toBe(2);
  });
});

describe("aq serve inference: running", () => {
  it("serves from a config file, then drains an in-flight stream on SIGTERM and exits 0", async () => {
    const file = join(dir, "good.json");
    writeFileSync(file, JSON.stringify({ chatModel: inject("models").chat, port: 0, threads: 1, sequences: 1 }));
    const p = spawnAq(["serve", "inference", "--config", file]);
    const port = await listeningPort(p);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => ((await (await fetch(`${url}/status`)).json()).healthy ? true : undefined), 30_000, "model loaded");
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);

    const stream = postJson(`${url}/v1/chat/completions`, chatBody("drain me", { stream: true, max_tokens: 3000 }));
    await waitFor(async () => ((await (await fetch(`${url}/status`)).json()).active_sequences === 1 ? true : undefined), 10_000, "streaming");
    p.child.kill("SIGTERM");
    const events = await readSse(await stream);
    expect(events.at(-1)).toBe("[DONE]");
    const finish = events.slice(0, -1).map((e) => JSON.parse(e)).find((c) => c.choices[0]?.finish_reason);
    expect(finish.choices[0].finish_reason).toBe("length");
    expect(await p.exited).toBe(0);
    const lines = p.stdout().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    expect(lines.some((l) => l.event === "shutdown")).toBe(true);
    expect(lines.every((l) => typeof l.level === "string" && l.service === "inference")).toBe(true);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
