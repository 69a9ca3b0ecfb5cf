import type { Llama, LlamaEmbeddingContext, LlamaModel } from "node-llama-cpp";
import { l2Normalize } from "./l2Normalize.js";
import type { VerifiedModel } from "./ModelVerifier.js";

/**
 * An embedding model with a pool of embedding contexts. A batch of texts is
 * spread over the pool, each context evaluating its share on its own native
 * thread; vectors come back L2-normalised, in input order.
 */
export class EmbeddingEngine {
  private constructor(
    readonly info: VerifiedModel,
    private readonly model: LlamaModel,
    private readonly contexts: LlamaEmbeddingContext[],
    /** Largest input in tokens. */
    readonly maxInputTokens: number,
  ) {}

  static async open(
    llama: Llama,
    info: VerifiedModel,
    opts: { threads: number; contexts: number; contextSize: number },
  ): Promise<EmbeddingEngine> {
    const model = await llama.loadModel({ modelPath: info.path, gpuLayers: 0 });
    try {
      const contextSize = Math.min(opts.contextSize, model.trainContextSize);
      const contexts: LlamaEmbeddingContext[] = [];
      for (let i = 0; i < opts.contexts; i++) {
        contexts.push(await model.createEmbeddingContext({ contextSize, threads: opts.threads }));
      }
      return new EmbeddingEngine(info, model, contexts, contextSize);
    } catch (err) {
      await model.dispose();
      throw err;
    }
  }

  get dimensions(): number {
    return this.model.embeddingVectorSize;
  }

  countTokens(text: string): number {
    return this.contexts[0].calculateInputLength(text);
  }

  async embed(texts: string[]): Promise<number[][]> {
    const out = new Array<number[]>(texts.length);
    let next = 0;
    const worker = async (ctx: LlamaEmbeddingContext) => {
      while (next < texts.length) {
        const i = next++;
        const embedding = await ctx.getEmbeddingFor(texts[i]);
        out[i] = l2Normalize(embedding.vector);
      }
    };
    await Promise.all(this.contexts.slice(0, Math.max(1, Math.min(this.contexts.length, texts.length))).map(worker));
    return out;
  }

  async dispose(): Promise<void> {
    for (const ctx of this.contexts) await ctx.dispose();
    await this.model.dispose();
  }
}
