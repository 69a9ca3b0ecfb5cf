export type CircuitState = "closed" | "open" | "half_open";

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 3. */
  failures?: number;
  /** How long the circuit stays open before a trial. Default 5000 ms. */
  cooldownMs?: number;
  /** Injectable clock (ms). */
  now?: () => number;
}

/**
 * closed → open after N consecutive failures; open for the cooldown; then
 * half-open, letting one trial request through. Its success closes the
 * circuit, its failure reopens it for another cooldown. A trial that never
 * reports back (the caller crashed or forgot) frees the slot after one
 * cooldown, so the breaker cannot stick in half-open.
 */
export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  private readonly now: () => number;
  private consecutiveFailures = 0;
  private openedAt: number | undefined;
  private trialStartedAt: number | undefined;

  constructor(opts: CircuitBreakerOptions = {}) {
    this.failureThreshold = opts.failures ?? 3;
    this.cooldownMs = opts.cooldownMs ?? 5000;
    this.now = opts.now ?? Date.now;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) {
      throw new RangeError(`failures must be an integer ≥ 1, got ${this.failureThreshold}`);
    }
    if (!(this.cooldownMs >= 0)) throw new RangeError(`cooldownMs must be ≥ 0, got ${this.cooldownMs}`);
  }

  get state(): CircuitState {
    if (this.openedAt === undefined) return "closed";
    return this.now() - this.openedAt >= this.cooldownMs ? "half_open" : "open";
  }

  /** Whether a request may go now; in half-open, true once (the trial). */
  allowRequest(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open") return false;
    const t = this.now();
    if (this.trialStartedAt !== undefined && t - this.trialStartedAt < this.cooldownMs) return false;
    this.trialStartedAt = t;
    return true;
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.openedAt = undefined;
    this.trialStartedAt = undefined;
  }

  recordFailure(): void {
    this.trialStartedAt = undefined;
    if (this.openedAt !== undefined) {
      // A failure while open or half-open (the trial) restarts the cooldown.
      this.openedAt = this.now();
      return;
    }
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures >= this.failureThreshold) {
      this.openedAt = this.now();
      this.consecutiveFailures = 0;
    }
  }
}
