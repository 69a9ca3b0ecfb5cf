import { backoffDelayMs, type RetryPolicy } from "./retryPolicy.js";
import { isTransientError } from "./isTransientError.js";

export interface RetryOptions {
  policy: RetryPolicy;
  /** Which failures to retry; default isTransientError. */
  retryable?: (err: unknown) => boolean;
  /** Called before each retry with the failure and the wait chosen. */
  onRetry?: (info: { retry: number; delayMs: number; error: unknown }) => void;
  /** Stops waiting (and retrying) when aborted: the last failure is thrown. */
  signal?: AbortSignal;
  random?: () => number;
}

/** The failure of the last try, with the number of tries made. */
export class RetriesExhaustedError extends Error {
  constructor(
    readonly attempts: number,
    readonly lastError: unknown,
    readonly transient: boolean,
  ) {
    super((lastError as Error)?.message ?? String(lastError));
    this.name = "RetriesExhaustedError";
  }
}

/**
 * Runs `fn` until it succeeds, a failure is not retryable, or
 * `policy.attempts` tries were made, sleeping backoffDelayMs between tries.
 * Every failure ends as a RetriesExhaustedError that carries the tries made,
 * the last error and whether that error was transient.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const retryable = opts.retryable ?? isTransientError;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const transient = retryable(err);
      if (!transient || attempt >= opts.policy.attempts || opts.signal?.aborted) throw new RetriesExhaustedError(attempt, err, transient);
      const delayMs = backoffDelayMs(opts.policy, attempt, opts.random);
      opts.onRetry?.({ retry: attempt, delayMs, error: err });
      await sleep(delayMs, opts.signal);
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
