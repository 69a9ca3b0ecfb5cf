import { basename } from "node:path";
import { EmbeddingEngine } from "../../inference/EmbeddingEngine.js";
import { getSharedLlama } from "../../inference/getSharedLlama.js";
import { verifyModelFile } from "../../inference/verifyModelFile.js";
import type { Embedder } from "./Embedder.js";

/**
 * In-process embeddings (embedded mode): the inference service's
 * EmbeddingEngine over node-llama-cpp, with the same model verification.
 * Token counts come from the model's own tokenizer.
 */
export async function createLocalEmbedder(opts: {
  modelPath: string;
  sha256?: string;
  threads?: number;
  contexts?: number;
  contextSize?: number;
}): Promise<Embedder> {
  const info = await verifyModelFile(opts.modelPath, opts.sha256);
  const llama = await getSharedLlama(opts.threads ?? 1);
  const engine = await EmbeddingEngine.open(llama, info, {
    threads: 1,
    contexts: opts.contexts ?? 1,
    contextSize: opts.contextSize ?? 2048,
  });
  return {
    kind: "local",
    fingerprint: { name: info.name ?? basename(info.path), sha256: info.sha256, dimensions: engine.dimensions },
    maxInputTokens: engine.maxInputTokens,
    countTokens: (text) => engine.countTokens(text),
    embed: (texts) => engine.embed(texts),
    check: async () => ({ ok: true }),
    close: () => engine.dispose(),
  };
}
