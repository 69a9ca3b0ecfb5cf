import { copyFileSync, mkdirSync, mkdtempSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { buildApp, type InferenceApp } from "../../services/inference/app.js";
import { inferenceConfigSchema, type InferenceConfig } from "../../services/inference/inferenceConfigSchema.js";
import { captureLogger } from "../helpers/captureLogger.js";
import { chatBody, postJson, waitFor } from "../helpers/startInferenceApp.js";

/**
 * First boot: the inference service starts with model files that do not
 * exist yet, reports the download's progress from the progress file
 * ai-model-download writes, and loads each model once its file appears.
 */
interface Running extends InferenceApp {
  url: string;
  close(): Promise<void>;
}
const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

async function start(settings: Partial<InferenceConfig>): Promise<Running> {
  const config = inferenceConfigSchema.parse({ port: 0, threads: 1, modelWaitPollMs: 20, ...settings });
  const built = await buildApp({ config, logger: captureLogger("download-test").logger });
  await built.app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = built.app.server.address() as { port: number };
  const r = { ...built, url: `http://127.0.0.1:${port}`, close: () => built.app.close() };
  running.push(r);
  return r;
}

/** A model store as ai-model-download leaves it mid-download: the progress file and a partial file. */
function store() {
  const dir = mkdtempSync(join(tmpdir(), "inference-download-"));
  mkdirSync(join(dir, ".incoming"));
  const statusFile = join(dir, "download-status.json");
  return {
    dir,
    statusFile,
    progress(models: Record<string, Record<string, unknown>>) {
      writeFileSync(`${statusFile}.tmp`, JSON.stringify({ updated_at: new Date().toISOString(), models }));
      renameSync(`${statusFile}.tmp`, statusFile);
    },
    partial(name: string, bytes: number) {
      writeFileSync(join(dir, ".incoming", name), Buffer.alloc(bytes));
      return `.incoming/${name}`;
    },
    /** The downloader's last step: one rename into place. */
    install(source: string, name: string) {
      copyFileSync(source, join(dir, ".incoming", `${name}.done`));
      renameSync(join(dir, ".incoming", `${name}.done`), join(dir, name));
    },
  };
}

const json = async (r: Response) => (await r.json()) as Record<string, any>;
/** The error code of an error answer, in our shape ({error: code}) or OpenAI's ({error: {code}}). */
const errorCode = (body: Record<string, any>) => (typeof body.error === "string" ? body.error : body.error?.code);

describe("inference while its model is still being downloaded", () => {
  it("reports downloading with the bytes done, refuses chat with 503 and Retry-After, then loads the model when it appears", async () => {
    const { chat } = inject("models");
    const s = store();
    const size = statSync(chat).size;
    const part = s.partial("chat.gguf", Math.floor(size / 4));
    s.progress({ "chat.gguf": { model: "demo", state: "downloading", bytes_total: size, partial: part } });
    const svc = await start({ chatModel: join(s.dir, "chat.gguf"), modelDownloadStatusFile: s.statusFile, chatModelToolCalling: false });

    const st = await waitFor(async () => {
      const body = await json(await fetch(`${svc.url}/status`));
      return body.download?.state === "downloading" ? body : undefined;
    }, 5000, "downloading status");
    expect(st).toMatchObject({
      downloading: true,
      loading: false,
      healthy: false,
      load_progress_pct: 25,
      download: { state: "downloading", bytes_done: Math.floor(size / 4), bytes_total: size, error: null },
      model_path: null,
      capabilities: { structuredOutput: true, toolCalling: false },
      models: { chat: { path: join(s.dir, "chat.gguf"), loaded: false } },
    });

    const refused = await postJson(`${svc.url}/v1/chat/completions`, chatBody("hello", { max_tokens: 4 }));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("30");
    expect(errorCode(await json(refused))).toBe("model_downloading");
    const ready = await fetch(`${svc.url}/ready`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toContain("downloading 25%");

    // More bytes arrive: the progress follows the partial file.
    s.partial("chat.gguf", Math.floor((size * 3) / 4));
    await waitFor(async () => ((await json(await fetch(`${svc.url}/status`))).load_progress_pct === 75 ? true : undefined), 5000, "75%");

    s.install(chat, "chat.gguf");
    await svc.modelsLoaded;
    const loaded = await json(await fetch(`${svc.url}/status`));
    expect(loaded).toMatchObject({ downloading: false, download: null, loading: false, healthy: true, load_progress_pct: 100, model_path: join(s.dir, "chat.gguf") });
    const answered = await postJson(`${svc.url}/v1/chat/completions`, chatBody("hello", { max_tokens: 4 }));
    expect(answered.status).toBe(200);
    expect((await fetch(`${svc.url}/ready`)).status).toBe(200);
  });

  it("waits for the progress file itself, and says when the download was refused", async () => {
    const s = store();
    const svc = await start({ chatModel: join(s.dir, "chat.gguf"), modelDownloadStatusFile: s.statusFile });
    const waiting = await waitFor(async () => {
      const body = await json(await fetch(`${svc.url}/status`));
      return body.download ? body : undefined;
    }, 5000, "waiting status");
    expect(waiting).toMatchObject({ downloading: true, load_progress_pct: 0, download: { state: "waiting", bytes_done: 0, bytes_total: null } });

    s.progress({ "chat.gguf": { model: "demo", state: "refused", bytes_total: null, error: "registry entry has no revision" } });
    const refused = await waitFor(async () => {
      const body = await json(await fetch(`${svc.url}/status`));
      return body.download?.state === "refused" ? body : undefined;
    }, 5000, "refused status");
    // Not downloading any more: the router counts the local model as unhealthy and uses the remote.
    expect(refused).toMatchObject({ downloading: false, healthy: false, error: "the chat model's download was refused: registry entry has no revision" });
    const r = await postJson(`${svc.url}/v1/chat/completions`, chatBody("hello", { max_tokens: 4 }));
    expect(r.status).toBe(503);
    expect(errorCode(await json(r))).toBe("model_unavailable");
  });

  it("loads the models that are there while another one is still being downloaded", async () => {
    const { embed, rerank } = inject("models");
    const s = store();
    s.progress({ "rerank.gguf": { model: "rr", state: "queued", bytes_total: 1000 } });
    const svc = await start({ port: 0, embedModel: embed, rerankModel: join(s.dir, "rerank.gguf"), modelDownloadStatusFile: s.statusFile });
    const vectors = await waitFor(async () => {
      const r = await postJson(`${svc.url}/v1/embeddings`, { input: "x" });
      return r.status === 200 ? r : undefined;
    }, 10_000, "embeddings while the reranker downloads");
    expect(((await vectors.json()) as { data: unknown[] }).data).toHaveLength(1);
    const st = await json(await fetch(`${svc.url}/status`));
    expect(st.capabilities).toBeNull();
    expect(st.models.rerank).toMatchObject({ loaded: false, download: { state: "queued", bytes_total: 1000 } });

    s.install(rerank, "rerank.gguf");
    await svc.modelsLoaded;
    const after = await json(await fetch(`${svc.url}/status`));
    expect(after.models.rerank).toMatchObject({ loaded: true });
    expect(after.models.rerank.download).toBeUndefined();
  });

  it("stops waiting when the service closes", async () => {
    const s = store();
    const svc = await start({ chatModel: join(s.dir, "never.gguf"), modelDownloadStatusFile: s.statusFile });
    const started = performance.now();
    await svc.close();
    running.splice(running.indexOf(svc), 1);
    await svc.modelsLoaded;
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
