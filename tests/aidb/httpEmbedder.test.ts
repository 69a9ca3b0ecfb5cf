import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createHttpEmbedder } from "../../services/aidb/embedder/createHttpEmbedder.js";
import { createLocalEmbedder } from "../../services/aidb/embedder/createLocalEmbedder.js";
import { ServiceError } from "../../services/shared/http/ServiceError.js";
import { startInferenceApp, type RunningInference } from "../helpers/startInferenceApp.js";

// The HTTP embedder against the real inference service, with a request
// limit lower than aidb's batch size: batches shrink to the server's limit.
let inference: RunningInference;
beforeAll(async () => {
  inference = await startInferenceApp({ chatModel: undefined, embedModel: inject("models").embed, maxInputsPerRequest: 3, contextSize: 512 });
});
afterAll(async () => inference?.close());

describe("HTTP embedder", () => {
  it("takes the model's fingerprint from /status and embeds like the in-process engine, in batches within the server's limit", async () => {
    const http = await createHttpEmbedder({ url: `${inference.url}/v1/embeddings`, batchSize: 10, startupTimeoutMs: 5000 });
    const local = await createLocalEmbedder({ modelPath: inject("models").embed, contextSize: 512 });
    expect(http.fingerprint).toEqual({ ...local.fingerprint, name: http.fingerprint.name });
    expect(http.fingerprint.dimensions).toBe(64);
    const texts = Array.from({ length: 7 }, (_, i) => `text number ${i} about nix`);
    const [a, b] = [await http.embed(texts), await local.embed(texts)];
    expect(a).toHaveLength(7);
    for (let i = 0; i < 7; i++) for (let k = 0; k < 64; k++) expect(a[i][k]).toBeCloseTo(b[i][k], 4);
    expect(await http.check()).toEqual({ ok: true });
    await local.close();
  });

  it("fails clearly when the service is unreachable or has no embedding model", async () => {
    await expect(createHttpEmbedder({ url: "http://127.0.0.1:9", startupTimeoutMs: 300 })).rejects.toThrow(/not ready.*unreachable/);
    const chatOnly = await startInferenceApp({});
    try {
      await expect(createHttpEmbedder({ url: chatOnly.url, startupTimeoutMs: 300 })).rejects.toThrow(/no embedding model/);
    } finally {
      await chatOnly.close();
    }
  });

  it("fails with the one service error type: unreachable, not configured, and a text the model refuses with its code", async () => {
    const gone = await createHttpEmbedder({ url: "http://127.0.0.1:9", startupTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ServiceError);
    expect(gone).toMatchObject({ service: "embedding service", kind: "unreachable" });
    const chatOnly = await startInferenceApp({});
    try {
      await expect(createHttpEmbedder({ url: chatOnly.url, startupTimeoutMs: 300 })).rejects.toMatchObject({ code: "embeddings_not_configured" });
    } finally {
      await chatOnly.close();
    }
    const http = await createHttpEmbedder({ url: inference.url, startupTimeoutMs: 5000 });
    const tooLong = await http.embed(["short", "word ".repeat(2000)]).catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(ServiceError);
    expect(tooLong).toMatchObject({ kind: "http", status: 400, code: "input_too_long" });
  });
});
