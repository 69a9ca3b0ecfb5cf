export interface RecordBatcher<T> {
  /** Queues one item; resolves when the batch holding it is written, rejects when that write fails. */
  add(item: T): Promise<void>;
  /** Writes what is queued now. */
  flush(): Promise<void>;
  readonly pending: number;
}

/**
 * Groups writes: a batch goes out when `maxBatch` items are queued or
 * `maxDelayMs` after its first item, and one batch is written at a time, in
 * order. Each caller learns the outcome of its own item's batch.
 */
export function createRecordBatcher<T>(write: (items: T[]) => Promise<void>, opts: { maxBatch?: number; maxDelayMs?: number } = {}): RecordBatcher<T> {
  const maxBatch = opts.maxBatch ?? 200;
  const maxDelayMs = opts.maxDelayMs ?? 20;
  let queue: { item: T; resolve: () => void; reject: (err: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const drain = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (queue.length === 0) return writing;
    const batch = queue;
    queue = [];
    writing = writing.then(async () => {
      try {
        await write(batch.map((b) => b.item));
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    });
    return writing;
  };

  return {
    add(item) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (queue.length >= maxBatch) void drain();
        else timer ??= setTimeout(() => void drain(), maxDelayMs);
      });
    },
    flush: () => drain(),
    get pending() {
      return queue.length;
    },
  };
}
