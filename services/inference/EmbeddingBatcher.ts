interface Pending {
  texts: string[];
  resolve: (vectors: number[][]) => void;
  reject: (err: Error) => void;
}

export interface EmbeddingBatcherOptions {
  /** Embeds a batch of texts, returning one vector per text in order. */
  embed: (texts: string[]) => Promise<number[][]>;
  maxLatencyMs: number;
  maxSize: number;
  enabled: boolean;
  onBatch?: (size: number) => void;
}

/**
 * Gathers concurrent embedding requests for up to `maxLatencyMs`, or until
 * `maxSize` texts are waiting, and embeds them as one batch. One batch runs at
 * a time; requests arriving meanwhile form the next. A request larger than
 * `maxSize` is split across batches. With batching off every request is
 * embedded on its own, in arrival order.
 */
export class EmbeddingBatcher {
  private pending: Pending[] = [];
  private pendingTexts = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly opts: EmbeddingBatcherOptions) {}

  embed(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return Promise.resolve([]);
    if (!this.opts.enabled) {
      const run = this.running.then(() => this.embedInChunks(texts));
      this.running = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ texts, resolve, reject });
      this.pendingTexts += texts.length;
      if (this.pendingTexts >= this.opts.maxSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.opts.maxLatencyMs);
    });
  }

  private async embedInChunks(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += this.opts.maxSize) {
      const chunk = texts.slice(i, i + this.opts.maxSize);
      this.opts.onBatch?.(chunk.length);
      out.push(...(await this.opts.embed(chunk)));
    }
    return out;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.pendingTexts = 0;
    if (batch.length === 0) return;
    this.running = this.running.then(async () => {
      const texts = batch.flatMap((p) => p.texts);
      try {
        const vectors = await this.embedInChunks(texts);
        let at = 0;
        for (const p of batch) {
          p.resolve(vectors.slice(at, at + p.texts.length));
          at += p.texts.length;
        }
      } catch (err) {
        for (const p of batch) p.reject(err as Error);
      }
    });
  }
}
