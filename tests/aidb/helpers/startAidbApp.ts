import { inject } from "vitest";
import { buildApp, type AidbApp } from "../../../services/aidb/app.js";
import { aidbConfigSchema, type AidbConfig } from "../../../services/aidb/aidbConfigSchema.js";
import type { Db } from "../../../services/aidb/db/Db.js";
import { createLocalEmbedder } from "../../../services/aidb/embedder/createLocalEmbedder.js";
import type { Embedder } from "../../../services/aidb/embedder/Embedder.js";
import { captureLogger } from "../../helpers/captureLogger.js";

let shared: Promise<Embedder> | undefined;

/** The synthetic embedding model in-process, loaded once per test file. */
export function sharedEmbedder(): Promise<Embedder> {
  shared ??= createLocalEmbedder({ modelPath: inject("models").embed, contextSize: 512 });
  return shared;
}

export interface RunningAidb extends AidbApp {
  url: string;
  logs: ReturnType<typeof captureLogger>;
  close: () => Promise<void>;
}

/** aidb on a free loopback port, over the given database, with the shared in-process embedder. */
export async function startAidbApp(db: Db, settings: Partial<AidbConfig> = {}): Promise<RunningAidb> {
  const config = aidbConfigSchema.parse({ embedModel: inject("models").embed, port: 0, ...settings });
  const logs = captureLogger("aidb-test");
  const built = await buildApp({ config, logger: logs.logger, db, embedder: await sharedEmbedder() });
  await built.app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = built.app.server.address() as { port: number };
  return { ...built, url: `http://127.0.0.1:${port}`, logs, close: () => built.app.close() };
}

export async function send(url: string, method: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(url, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}
