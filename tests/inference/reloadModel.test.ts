import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { chatBody, postJson, startInferenceApp, waitFor, type RunningInference } from "../helpers/startInferenceApp.js";

let svc: RunningInference;
let dir: string;
const status = async () => (await fetch(`${svc.url}/status`)).json();

beforeAll(async () => {
  svc = await startInferenceApp({ sequences: 2, queueLimit: 50, contextSize: 2048 });
  dir = mkdtempSync(join(tmpdir(), "aq-reload-"));
});
afterAll(async () => {
  await svc?.close();
});

describe("POST /reload-model", () => {
  it("swaps the model under traffic without failing or losing a request", async () => {
    const { chat, chatAlt } = inject("models");
    let stop = false;
    const statuses: number[] = [];
    let sawLoading = false;
    const client = async () => {
      while (!stop) {
        const r = await postJson(`${svc.url}/v1/chat/completions`, chatBody("traffic", { max_tokens: 40 }));
        statuses.push(r.status);
        await r.arrayBuffer();
      }
    };
    const watcher = (async () => {
      while (!stop) {
        const s = await status();
        if (s.loading) sawLoading = true;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const clients = Array.from({ length: 5 }, client);
    await waitFor(() => (statuses.length >= 5 ? true : undefined), 20_000, "traffic");

    for (const target of [chatAlt, chat]) {
      const r = await postJson(`${svc.url}/reload-model`, { model: target });
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ status: "loaded", model_path: target });
      const countAtSwap = statuses.length;
      await waitFor(() => (statuses.length >= countAtSwap + 5 ? true : undefined), 20_000, "traffic after reload");
    }
    stop = true;
    await Promise.all([...clients, watcher]);
    expect(statuses.length).toBeGreaterThan(15);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(sawLoading).toBe(true);
    expect((await status()).model_path).toBe(chat);
  });

  it("keeps requests queued during the load and serves them with the new model", async () => {
    const { chat, chatBig } = inject("models");
    // The bench-sized model takes long enough to load to watch it happen.
    const reload = postJson(`${svc.url}/reload-model`, { model: chatBig });
    const during = await waitFor(async () => {
      const s = await status();
      return s.loading ? s : undefined;
    }, 20_000, "loading");
    expect(during.healthy).toBe(false);
    expect(during.load_progress_pct).toBeLessThan(100);
    const queued = Array.from({ length: 4 }, () => postJson(`${svc.url}/v1/chat/completions`, chatBody("wait", { max_tokens: 5 })));
    await waitFor(async () => ((await status()).queue_depth > 0 ? true : undefined), 20_000, "queued requests");
    expect((await reload).status).toBe(200);
    const done = await Promise.all(queued);
    expect(done.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect((await status()).model_path).toBe(chatBig);
    expect((await postJson(`${svc.url}/reload-model`, { model: chat })).status).toBe(200);
  });

  it.each([
    ["not a GGUF file", () => writeFile("junk.gguf", Buffer.from("this is not a model at all, just text"))],
    ["a truncated file", () => writeFile("truncated.gguf", readFileSync(inject("models").chat).subarray(0, 20_000))],
    ["a missing file", () => join(dir, "missing.gguf")],
  ])("refuses %s with 422 and keeps the old model serving", async (_name, make) => {
    const before = (await status()).model_path;
    const r = await postJson(`${svc.url}/reload-model`, { model: make() });
    expect(r.status).toBe(422);
    const body = await r.json();
    expect(body.error).toBe("model_verification_failed");
    expect(body.message.length).toBeGreaterThan(10);
    const s = await status();
    expect(s.model_path).toBe(before);
    expect(s.healthy).toBe(true);
    const chat = await postJson(`${svc.url}/v1/chat/completions`, chatBody("still here", { max_tokens: 3 }));
    expect(chat.status).toBe(200);
  });

  it("refuses a file whose sha256 differs from the expected one", async () => {
    const copy = join(dir, "copy.gguf");
    copyFileSync(inject("models").chat, copy);
    const r = await postJson(`${svc.url}/reload-model`, { model: copy, sha256: "0".repeat(64) });
    expect(r.status).toBe(422);
    expect((await r.json()).message).toMatch(/sha256/i);
  });

  it("validates the request body", async () => {
    const r = await postJson(`${svc.url}/reload-model`, { model: "" });
    expect(r.status).toBe(400);
    expect((await r.json()).fields[0].path).toBe("body.model");
    const sha = await postJson(`${svc.url}/reload-model`, { model: "x.gguf", sha256: "xyz" });
    expect((await sha.json()).fields[0].path).toBe("body.sha256");
  });
});

function writeFile(name: string, content: Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}
