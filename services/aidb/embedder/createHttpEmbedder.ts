import { z } from "zod";
import type { Embedder } from "./Embedder.js";
import { EmbedderError } from "./EmbedderError.js";

const statusSchema = z.object({
  models: z.object({
    embed: z
      .object({ path: z.string(), sha256: z.string().optional(), dimensions: z.number().int().positive().optional(), loaded: z.boolean() })
      .nullable(),
  }),
});

const embeddingsSchema = z.object({
  model: z.string().optional(),
  data: z.array(z.object({ index: z.number().int(), embedding: z.array(z.number()) })),
});

/**
 * Characters per token assumed when chunking for a remote model. We cannot
 * tokenise over HTTP without embedding, so chunks are sized with this
 * conservative estimate (real tokenizers average 3.5-4.5 characters per
 * token on English text and code); an input the model still finds too long
 * comes back as 400 `input_too_long` and fails only its document.
 */
export const charsPerTokenEstimate = 3;

/**
 * Embeddings from the inference service (`POST /v1/embeddings`). The model's
 * name, sha256 and size come from its `/status`; batches stay within
 * `batchSize` texts, and shrink to the server's `too_many_inputs` limit if
 * it is lower.
 */
export async function createHttpEmbedder(opts: {
  url: string;
  batchSize?: number;
  timeoutMs?: number;
  /** How long to wait for the inference service at start-up. */
  startupTimeoutMs?: number;
  maxInputTokens?: number;
}): Promise<Embedder> {
  const base = opts.url.replace(/\/+$/, "").replace(/\/v1(\/embeddings)?$/, "");
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let batchSize = opts.batchSize ?? 64;

  const fetchJson = async (path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new EmbedderError(`embedding service at ${base} unreachable: ${(err as Error).message}`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new EmbedderError(`embedding service at ${base}${path} answered ${response.status} with non-JSON`);
    }
    return { status: response.status, body };
  };

  const deadline = Date.now() + (opts.startupTimeoutMs ?? 60_000);
  let embedInfo: { path: string; sha256?: string; dimensions?: number } | undefined;
  let lastError = "";
  for (;;) {
    try {
      const r = await fetchJson("/status");
      const parsed = statusSchema.safeParse(r.body);
      if (!parsed.success) throw new EmbedderError(`${base}/status is not an inference service status`);
      if (parsed.data.models.embed === null) {
        throw new EmbedderError(`the inference service at ${base} has no embedding model (start it with --embed-model FILE)`);
      }
      if (parsed.data.models.embed.loaded) {
        embedInfo = parsed.data.models.embed;
        break;
      }
      lastError = "embedding model still loading";
    } catch (err) {
      if ((err as Error).message.includes("has no embedding model")) throw err;
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) throw new EmbedderError(`embedding service not ready: ${lastError}`);
    await new Promise((r) => setTimeout(r, 250));
  }

  /** One request; undefined when the server's limit is lower than the batch (batchSize shrinks, the caller retries). */
  const post = async (texts: string[]): Promise<number[][] | undefined> => {
    const r = await fetchJson("/v1/embeddings", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: texts }),
    });
    if (r.status === 400 && (r.body as { error?: string }).error === "too_many_inputs") {
      const limit = Number((r.body as { limit?: number }).limit);
      if (Number.isInteger(limit) && limit > 0 && limit < texts.length) {
        batchSize = limit;
        return undefined;
      }
    }
    if (r.status !== 200) {
      const b = r.body as { error?: string; message?: string };
      throw new EmbedderError(`embedding service answered ${r.status} ${b.error ?? ""}: ${b.message ?? ""}`.trim());
    }
    const parsed = embeddingsSchema.safeParse(r.body);
    if (!parsed.success || parsed.data.data.length !== texts.length) {
      throw new EmbedderError("embedding service gave a malformed answer");
    }
    const out = new Array<number[]>(texts.length);
    for (const d of parsed.data.data) out[d.index] = d.embedding;
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
        const r = await fetchJson("/ready");
        return r.status === 200 ? { ok: true } : { ok: false, detail: `inference /ready answered ${r.status}` };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },
    close: async () => {},
  };
}
