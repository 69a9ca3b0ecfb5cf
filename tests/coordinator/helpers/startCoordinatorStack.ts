import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { buildApp, type CoordinatorApp } from "../../../services/coordinator/app.js";
import { coordinatorConfigSchema, type CoordinatorConfig } from "../../../services/coordinator/coordinatorConfigSchema.js";
import { createLogRing } from "../../../services/coordinator/dashboard/createLogRing.js";
import { ROUTING_CONFIG_FILE } from "../../../services/coordinator/routing/RoutingConfigStore.js";
import { startAidbApp, type RunningAidb } from "../../aidb/helpers/startAidbApp.js";
import { openTestPglite, type TestDb } from "../../aidb/helpers/testDb.js";
import { captureLogger } from "../../helpers/captureLogger.js";
import { startInferenceApp, type RunningInference } from "../../helpers/startInferenceApp.js";

export interface CoordinatorStackOptions {
  /** A second inference instance as the OpenAI-compatible remote. */
  remote?: boolean;
  /** A reranker on the local inference instance. */
  rerank?: boolean;
  redisUrl?: string;
  /** Written to routing-config.json before start. */
  routing?: Record<string, unknown>;
  coordinator?: Partial<Record<keyof CoordinatorConfig, unknown>>;
  /** The local chat context in tokens (default 4096, capped by the model's 2048). */
  localContextSize?: number;
  /** aidb settings (e.g. redisUrl so it publishes cache stamps). */
  aidb?: Record<string, unknown>;
  /** The local chat model (default: the tiny model with 8-token answers). */
  chatModel?: string;
  /** The remote's chat model (default: the tiny model with 8-token answers). */
  remoteChatModel?: string;
  /** More settings of the local inference instance (e.g. chatModelStructuredOutput). */
  local?: Record<string, unknown>;
}

export interface CoordinatorStack {
  url: string;
  local: RunningInference;
  remote?: RunningInference;
  aidb: RunningAidb;
  coordinator: CoordinatorApp;
  stateDir: string;
  logs: ReturnType<typeof captureLogger>;
  writeRouting(config: Record<string, unknown> | string): void;
  close(): Promise<void>;
}

/**
 * The whole stack in this process, each service on its own loopback port:
 * local inference (chat with short answers, embeddings, optionally a
 * reranker), optionally a second inference instance as the remote, aidb on a
 * fresh PGlite (which also holds the coordinator's interactions), and the
 * coordinator.
 */
export async function startCoordinatorStack(opts: CoordinatorStackOptions = {}): Promise<CoordinatorStack> {
  const models = inject("models");
  const opened: { close(): Promise<unknown> }[] = [];
  try {
    const local = await startInferenceApp({
      chatModel: opts.chatModel ?? models.chatShort,
      embedModel: models.embed,
      ...(opts.rerank && { rerankModel: models.rerank }),
      contextSize: opts.localContextSize ?? 4096,
      ...opts.local,
    });
    opened.push(local);
    const remote = opts.remote ? await startInferenceApp({ chatModel: opts.remoteChatModel ?? models.chatShort, contextSize: 4096 }) : undefined;
    if (remote) opened.push(remote);
    const aidbDb: TestDb = await openTestPglite();
    opened.push(aidbDb);
    const aidb = await startAidbApp(aidbDb.db, opts.aidb);
    opened.push(aidb);
    const stateDir = mkdtempSync(join(tmpdir(), "coordinator-test-"));
    opened.push({ close: async () => rmSync(stateDir, { recursive: true, force: true }) });
    const writeRouting = (config: Record<string, unknown> | string) =>
      writeFileSync(join(stateDir, ROUTING_CONFIG_FILE), typeof config === "string" ? config : JSON.stringify(config));
    if (opts.routing) writeRouting(opts.routing);
    const config = coordinatorConfigSchema.parse({
      port: 0,
      stateDir,
      inferenceUrl: local.url,
      aidbUrl: aidb.url,
      ...(opts.rerank && { rerankUrl: local.url }),
      ...(remote && { remoteLlmUrl: `${remote.url}/v1` }),
      ...(opts.redisUrl && { redisUrl: opts.redisUrl }),
      maxTokens: 16,
      healthCacheMs: 0,
      // Tests share 2 busy cores with the models; the 500 ms default would make "local unhealthy" flaky.
      healthTimeoutMs: 5000,
      ...opts.coordinator,
    });
    // The logger also feeds the ring behind /logs/recent, as in production.
    const logRing = createLogRing();
    const logs = captureLogger("coordinator-test", { tee: [logRing] });
    // The coordinator keeps its interactions in aidb's database, as in production without databaseUrl.
    const coordinator = await buildApp({ config, logger: logs.logger, logRing });
    opened.push({ close: () => coordinator.app.close() });
    await coordinator.app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = coordinator.app.server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      local,
      remote,
      aidb,
      coordinator,
      stateDir,
      logs,
      writeRouting,
      close: async () => {
        for (const o of opened.reverse()) await o.close().catch(() => {});
      },
    };
  } catch (err) {
    for (const o of opened.reverse()) await o.close().catch(() => {});
    throw err;
  }
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // SSE or text
  }
  return { status: r.status, body: parsed, headers: r.headers };
}

export async function getJson(url: string): Promise<any> {
  const r = await fetch(url);
  return r.json();
}

/** The `data:` payloads of an SSE body, JSON-parsed except `[DONE]`. */
export function sseEvents(text: string): unknown[] {
  return text
    .split("\n\n")
    .map((b) => b.trim())
    .filter((b) => b.startsWith("data: "))
    .map((b) => b.slice(6))
    .map((d) => (d === "[DONE]" ? d : JSON.parse(d)));
}

/** Ingests documents into aidb directly. */
export async function ingest(aidbUrl: string, documents: { project: string; title: string; text: string }[]): Promise<string[]> {
  const r = await post(`${aidbUrl}/documents`, { documents });
  if (r.status !== 200) throw new Error(`ingest failed: ${r.status} ${JSON.stringify(r.body)}`);
  return (r.body.results as { id: string }[]).map((x) => x.id);
}
