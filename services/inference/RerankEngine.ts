import type { Llama, LlamaModel, LlamaRankingContext } from "node-llama-cpp";
import type { VerifiedModel } from "./ModelVerifier.js";

/** A reranker (a model with a classifier head) and its ranking context. */
export class RerankEngine {
  private running: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly info: VerifiedModel,
    private readonly model: LlamaModel,
    private readonly context: LlamaRankingContext,
    /** Largest query + document in tokens. */
    readonly maxInputTokens: number,
  ) {}

  static async open(llama: Llama, info: VerifiedModel, opts: { threads: number; contextSize: number }): Promise<RerankEngine> {
    const model = await llama.loadModel({ modelPath: info.path, gpuLayers: 0 });
    try {
      const contextSize = Math.min(opts.contextSize, model.trainContextSize);
      const context = await model.createRankingContext({ contextSize, threads: opts.threads });
      return new RerankEngine(info, model, context, contextSize);
    } catch (err) {
      await model.dispose();
      throw err;
    }
  }

  countTokens(text: string): number {
    return this.model.tokenize(text).length;
  }

  /** Relevance of each document to the query, in 0..1, in input order. */
  rank(query: string, documents: string[]): Promise<number[]> {
    const run = this.running.then(() => this.context.rankAll(query, documents));
    this.running = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}
