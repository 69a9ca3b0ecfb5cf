import { QueueFullError } from "./QueueFullError.js";
import { RequestAbortedError } from "./RequestAbortedError.js";

interface Waiter<T> {
  resolve: (slot: T) => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * Hands out a fixed set of slots (context sequences) first come, first served.
 * Requests beyond the free slots wait in a FIFO queue of at most `queueLimit`;
 * one more is refused with QueueFullError. While paused (a model is loading)
 * nothing is handed out and requests queue. An aborted waiter leaves the queue.
 */
export class SlotScheduler<T> {
  private free: T[] = [];
  private readonly waiting: Waiter<T>[] = [];
  private active = 0;
  private paused = true;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly queueLimit: number,
    private readonly onChange: () => void = () => {},
  ) {}

  get queueDepth(): number {
    return this.waiting.length;
  }

  get activeCount(): number {
    return this.active;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  acquire(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new RequestAbortedError());
    if (!this.paused && this.waiting.length === 0 && this.free.length > 0) {
      this.active++;
      this.onChange();
      return Promise.resolve(this.free.shift() as T);
    }
    if (this.waiting.length >= this.queueLimit) {
      return Promise.reject(new QueueFullError(this.queueLimit, 1));
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) {
            this.waiting.splice(i, 1);
            this.onChange();
            reject(new RequestAbortedError());
          }
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.waiting.push(waiter);
      this.onChange();
    });
  }

  release(slot: T): void {
    this.active--;
    this.free.push(slot);
    this.dispatch();
    if (this.active === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
    this.onChange();
  }

  /** Stop handing out slots; requests queue until resume(). */
  pause(): void {
    this.paused = true;
    this.onChange();
  }

  /** Replace the slot set (after a model load) and start dispatching. */
  resume(slots: T[]): void {
    this.free = [...slots];
    this.paused = false;
    this.dispatch();
    this.onChange();
  }

  /** Resolves once no slot is in use. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Fail every waiting request (shutdown). */
  rejectAll(err: Error): void {
    for (const w of this.waiting.splice(0)) {
      if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
      w.reject(err);
    }
    this.onChange();
  }

  private dispatch(): void {
    while (!this.paused && this.free.length > 0 && this.waiting.length > 0) {
      const waiter = this.waiting.shift() as Waiter<T>;
      if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
      this.active++;
      waiter.resolve(this.free.shift() as T);
    }
  }
}
