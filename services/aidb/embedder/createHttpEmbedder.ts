import { createInferenceClient } from "../../inference/api/createInferenceClient.js";
import type { ModelStatus } from "../../inference/api/inferenceStatusSchema.js";
import { tooManyInputsErrorSchema } from "../../inference/api/tooManyInputsErrorSchema.js";
import { ServiceError, type ServiceErrorKind } from "../../shared/http/ServiceError.js";
import type { Embedder } from "./Embedder.js";

/**
 * Characters per token assumed when chunking for a remote model. We cannot
 * tokenise over HTTP without embedding, so chunks are sized with this
 * conservative estimate (real tokenizers average 3.5-4.5 characters per
 * token on English text and code); an input the model still finds too long
 * comes back as 400 `input_too_long` and fails only its document.
 */
export const charsPerTokenEstimate = 3;

const service = "embedding service";

/**
 * Embeddings from the inference service (`POST /v1/embeddings`), through
 * its contract's client. The model's name, sha256 and size come from its
 * `/status`; batches stay within `batchSize` texts, and shrink to the
 * server's `too_many_inputs` limit if it is lower. Every failure is a
 * ServiceError naming the embedding service.
 */
export async function createHttpEmbedder(opts: {
  url: string;
  batchSize?: number;
  timeoutMs?: number;
  /** How long to wait for the inference service at start-up. */
  startupTimeoutMs?: number;
  maxInputTokens?: number;
  /** Sent as a bearer token (the stack's internal key) when inference enforces keys. */
  apiKey?: string;
}): Promise<Embedder> {
  const base = opts.url.replace(/\/+$/, "").replace(/\/v1(\/embeddings)?$/, "");
  const inference = createInferenceClient({ service, baseUrl: base, timeoutMs: opts.timeoutMs ?? 60_000, apiKey: opts.apiKey });
  let batchSize = opts.batchSize ?? 64;

  const deadline = Date.now() + (opts.startupTimeoutMs ?? 60_000);
  let embedInfo: ModelStatus | undefined;
  let last: { kind: ServiceErrorKind; message: string } = { kind: "timeout", message: "" };
  for (;;) {
    try {
      const { models } = await inference.status();
      if (!models) throw new ServiceError(service, "invalid_response", `${base}/status is not an inference service status`);
      if (models.embed === null) {
        throw new ServiceError(service, "http", `the inference service at ${base} has no embedding model (start it with --embed-model FILE)`, 501, "embeddings_not_configured");
      }
      if (models.embed.loaded) {
        embedInfo = models.embed;
        break;
      }
      last = { kind: "timeout", message: "embedding model still loading" };
    } catch (err) {
      if (err instanceof ServiceError && err.code === "embeddings_not_configured") throw err;
      const e = err instanceof ServiceError ? err : new ServiceError(service, "invalid_response", (err as Error).message);
      last = { kind: e.kind, message: e.kind === "unreachable" ? `unreachable (${e.message})` : e.message };
    }
    if (Date.now() > deadline) throw new ServiceError(service, last.kind, `embedding service not ready: ${last.message}`);
    await new Promise((r) => setTimeout(r, 250));
  }

  /** One request; undefined when the server's limit is lower than the batch (batchSize shrinks, the caller retries). */
  const post = async (texts: string[]): Promise<number[][] | undefined> => {
    let data;
    try {
      ({ data } = await inference.embeddings({ input: texts }));
    } catch (err) {
      const tooMany = err instanceof ServiceError && err.status === 400 ? tooManyInputsErrorSchema.safeParse(err.body) : undefined;
      if (tooMany?.success && tooMany.data.error.limit < texts.length) {
        batchSize = tooMany.data.error.limit;
        return undefined;
      }
      throw err;
    }
    const out = new Array<number[]>(texts.length);
    for (const d of data) if (d.index < texts.length) out[d.index] = d.embedding;
    if (data.length !== texts.length || !Array.from(out).every(Boolean)) {
      throw new ServiceError(service, "invalid_response", "embedding service gave a malformed answer");
    }
    return out;
  };
  const embedBatched = async (texts: string[]): Promise<number[][]> => {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; ) {
      const n = batchSize;
      const vectors = await post(texts.slice(i, i + n));
      if (!vectors) continue;
      out.push(...vectors);
      i += n;
    }
    return out;
  };

  // Dimensions and sha256 come from /status; older services without them
  // are probed with one embedding.
  const dimensions = embedInfo.dimensions ?? (await embedBatched(["dimension probe"]))[0].length;
  const name = embedInfo.path.split("/").pop() ?? embedInfo.path;
  return {
    kind: "http",
    fingerprint: { name, sha256: embedInfo.sha256 ?? "0".repeat(64), dimensions },
    // The inference service does not publish the embedding context size;
    // 512 tokens fits every common embedding model.
    maxInputTokens: opts.maxInputTokens ?? 512,
    countTokens: (text) => Math.ceil(text.length / charsPerTokenEstimate),
    embed: embedBatched,
    check: async () => {
      try {
        await inference.ready();
        return { ok: true };
      } catch (err) {
        if (err instanceof ServiceError && err.kind === "http") return { ok: false, detail: `inference /ready answered ${err.status}` };
        return { ok: false, detail: (err as Error).message };
      }
    },
    close: async () => {},
  };
}
