import { inject } from "vitest";
import { buildApp, type InferenceApp } from "../../services/inference/app.js";
import { inferenceConfigSchema, type InferenceConfig } from "../../services/inference/inferenceConfigSchema.js";
import { captureLogger } from "./captureLogger.js";

export interface RunningInference extends InferenceApp {
  url: string;
  logs: ReturnType<typeof captureLogger>;
  close: () => Promise<void>;
}

/**
 * The real inference app, listening on a free loopback port, with its models
 * loaded. Settings are validated by the same schema as in production.
 */
export async function startInferenceApp(settings: Partial<InferenceConfig> = {}): Promise<RunningInference> {
  const config = inferenceConfigSchema.parse({
    chatModel: inject("models").chat,
    port: 0,
    threads: 1,
    ...settings,
  });
  const logs = captureLogger("inference-test");
  const built = await buildApp({ config, logger: logs.logger });
  await built.app.listen({ host: "127.0.0.1", port: 0 });
  await built.modelsLoaded;
  const { port } = built.app.server.address() as { port: number };
  return { ...built, url: `http://127.0.0.1:${port}`, logs, close: () => built.app.close() };
}

export async function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

/** Reads an SSE response into its `data:` payloads, `[DONE]` included. */
export async function readSse(response: Response): Promise<string[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .map((block) => block.trim())
    .filter((block) => block.startsWith("data: "))
    .map((block) => block.slice("data: ".length));
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function chatBody(content: string, extra: Record<string, unknown> = {}) {
  return { messages: [{ role: "user", content }], ...extra };
}
