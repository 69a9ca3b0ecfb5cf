import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildApp as buildCoordinator, type CoordinatorApp } from "../../../services/coordinator/app.js";
import { coordinatorConfigSchema } from "../../../services/coordinator/coordinatorConfigSchema.js";
import { buildApp as buildInference, type InferenceApp } from "../../../services/inference/app.js";
import { inferenceConfigSchema } from "../../../services/inference/inferenceConfigSchema.js";
import { startAidbApp, type RunningAidb } from "../../aidb/helpers/startAidbApp.js";
import { openTestPglite, type TestDb } from "../../aidb/helpers/testDb.js";
import { captureLogger } from "../../helpers/captureLogger.js";
import { startInferenceApp, waitFor, type RunningInference } from "../../helpers/startInferenceApp.js";
import { getJson, post } from "../helpers/startCoordinatorStack.js";

/**
 * A first boot: the local inference service is up, but its chat model is
 * still being downloaded (a model path that does not exist yet and the
 * downloader's progress file). The coordinator answers through the remote,
 * or with 503 and Retry-After when there is none, and reports the progress;
 * once the file is in place the local model loads and answers.
 */
describe("the stack on a first boot, while the local chat model is downloading", () => {
  const closers: (() => Promise<unknown>)[] = [];
  let dir: string;
  let modelPath: string;
  let local: InferenceApp & { url: string };
  let remote: RunningInference;
  let aidb: RunningAidb;
  let withRemote: string;
  let withoutRemote: string;
  let size: number;

  async function coordinator(extra: Record<string, unknown>): Promise<string> {
    const stateDir = mkdtempSync(join(tmpdir(), "first-boot-coordinator-"));
    closers.push(async () => rmSync(stateDir, { recursive: true, force: true }));
    const config = coordinatorConfigSchema.parse({
      port: 0,
      stateDir,
      inferenceUrl: local.url,
      aidbUrl: aidb.url,
      maxTokens: 8,
      healthCacheMs: 0,
      healthTimeoutMs: 5000,
      ...extra,
    });
    const app: CoordinatorApp = await buildCoordinator({ config, logger: captureLogger("first-boot").logger });
    closers.push(() => app.app.close());
    await app.app.listen({ host: "127.0.0.1", port: 0 });
    return `http://127.0.0.1:${(app.app.server.address() as { port: number }).port}`;
  }

  beforeAll(async () => {
    const models = inject("models");
    size = statSync(models.chatShort).size;
    dir = mkdtempSync(join(tmpdir(), "first-boot-models-"));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, ".incoming"));
    writeFileSync(join(dir, ".incoming", "partial-chat.gguf"), Buffer.alloc(Math.floor(size * 0.4)));
    writeFileSync(
      join(dir, "download-status.json"),
      JSON.stringify({ models: { "chat.gguf": { model: "demo", state: "downloading", bytes_total: size, partial: ".incoming/partial-chat.gguf" } } }),
    );
    modelPath = join(dir, "chat.gguf");
    const built = await buildInference({
      config: inferenceConfigSchema.parse({ port: 0, threads: 1, chatModel: modelPath, modelDownloadStatusFile: join(dir, "download-status.json"), modelWaitPollMs: 20 }),
      logger: captureLogger("first-boot-inference").logger,
    });
    closers.push(() => built.app.close());
    await built.app.listen({ host: "127.0.0.1", port: 0 });
    local = { ...built, url: `http://127.0.0.1:${(built.app.server.address() as { port: number }).port}` };
    remote = await startInferenceApp({ chatModel: models.chatShort, contextSize: 4096 });
    closers.push(() => remote.close());
    const db: TestDb = await openTestPglite();
    closers.push(() => db.close());
    aidb = await startAidbApp(db.db);
    closers.push(() => aidb.close());
    withRemote = await coordinator({ remoteLlmUrl: `${remote.url}/v1` });
    withoutRemote = await coordinator({});
  }, 120_000);
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
  });

  it("answers through the remote, with the reason local_downloading", async () => {
    const r = await post(`${withRemote}/query`, { query: "what is a flake?" });
    expect(r.status).toBe(200);
    expect(r.body.backend).toBe("remote");
    expect(r.body.routing).toMatchObject({ reason: "local_downloading", fallback_reason: "local_downloading" });
    // force_local cannot be honoured: the local model has nothing to answer with yet.
    const forced = await post(`${withRemote}/query`, { query: "what is a flake?", force_local: true });
    expect(forced.status).toBe(503);
    expect(forced.headers.get("retry-after")).toBe("30");
    // The OpenAI-compatible front door routes the same way.
    const chat = await post(`${withRemote}/v1/chat/completions`, { messages: [{ role: "user", content: "hello" }], max_tokens: 4 });
    expect(chat.status).toBe(200);
    expect(JSON.parse(chat.headers.get("x-ai-stack-routing")!)).toMatchObject({ backend: "remote", reason: "local_downloading" });
  });

  it("answers 503 with Retry-After and the download's progress when there is no remote, and says so in /status", async () => {
    const r = await post(`${withoutRemote}/query`, { query: "what is a flake?" });
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("30");
    expect(JSON.stringify(r.body)).toContain("local_model_downloading");
    expect(r.body.load_progress_pct ?? r.body.error?.load_progress_pct).toBe(40);
    const chat = await post(`${withoutRemote}/v1/chat/completions`, { messages: [{ role: "user", content: "hello" }] });
    expect(chat.status).toBe(503);
    expect(chat.headers.get("retry-after")).toBe("30");
    const status = await getJson(`${withoutRemote}/status`);
    expect(status.healthy).toBe(false);
    expect(status.backends.local).toMatchObject({ healthy: false, downloading: true, load_progress_pct: 40, error: "model downloading (40%)" });
    const metrics = await (await fetch(`${withoutRemote}/metrics`)).text();
    expect(metrics).toMatch(/hybrid_route_decisions_total\{backend="local",action="unavailable"[^}]*\} [1-9]/);
  });

  it("loads the model when its file appears, and answers locally from then on", async () => {
    copyFileSync(inject("models").chatShort, join(dir, ".incoming", "chat.gguf.done"));
    renameSync(join(dir, ".incoming", "chat.gguf.done"), modelPath);
    await local.modelsLoaded;
    const r = await waitFor(async () => {
      const answer = await post(`${withoutRemote}/query`, { query: "what is a flake?", prefer_local: true });
      return answer.status === 200 ? answer : undefined;
    }, 20_000, "a local answer");
    expect(r.body.backend).toBe("local");
    const status = await getJson(`${withoutRemote}/status`);
    expect(status.backends.local).toMatchObject({ healthy: true, downloading: false, load_progress_pct: 100 });
  });
});
