/** How a failed operation is retried: at most `attempts` tries in all, with exponential backoff and full jitter. */
export interface RetryPolicy {
  /** Tries in all, the first included (1 = no retry). */
  attempts: number;
  /** The backoff before the second try; it doubles for each further try. */
  baseDelayMs: number;
  /** No backoff is longer than this. */
  maxDelayMs: number;
}

/**
 * The wait before retry number `retry` (1 for the first retry): a uniformly
 * random delay between 0 and min(maxDelayMs, baseDelayMs * 2^(retry-1))
 * ("full jitter"), so that clients that failed together do not retry
 * together. `random` is injectable for tests.
 */
export function backoffDelayMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}
