import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Gauge } from "prom-client";

/**
 * Timeouts: a Redis-backed helper must never make a request slower than not
 * having it. Commands are refused at once while disconnected (no offline
 * queue, no retries), and a reply slower than COMMAND_TIMEOUT_MS counts as a
 * failure.
 */
const CONNECT_TIMEOUT_MS = 1000;
const COMMAND_TIMEOUT_MS = 300;
/**
 * After a failed command on a connection that still looks open (a stalled
 * or overloaded Redis), requests skip Redis for this long before one tries
 * again, so a slow Redis costs one COMMAND_TIMEOUT_MS per second at most.
 */
const RETRY_AFTER_FAILURE_MS = 1000;
/** How long close() waits for QUIT before dropping the connection. */
const QUIT_TIMEOUT_MS = 500;

export const describeError = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** A structured log line: `{ [field]: true, ... }` with this message. */
export interface GuardedRedisLogLine {
  field: string;
  message: string;
}

export interface GuardedRedisOptions {
  url: string;
  /** The component's logger (already a child naming the component). */
  log: Logger;
  /** Logged once when an outage starts, with `reason`. */
  degraded: GuardedRedisLogLine;
  /** Logged once when Redis works again, with `after` (the outage's reason). */
  recovered: GuardedRedisLogLine;
  /** Called for each failed or skipped command of the component (not for connection events or PINGs). */
  onCommandFailure?: () => void;
  /** A periodic PING feeding these gauges; they are also set from connection events and failures. */
  ping?: { pingOk: Gauge; latency: Gauge; intervalMs: number };
}

export interface GuardedRedis {
  /** Created with lazyConnect; connect() connects it. */
  readonly client: Redis;
  /** Connects (at most CONNECT_TIMEOUT_MS), runs `afterConnect`, PINGs once and starts the PING timer. Never throws. */
  connect(afterConnect?: () => Promise<void>): Promise<void>;
  /** Whether a command should try Redis now (ready, and not within RETRY_AFTER_FAILURE_MS of a failure while degraded). */
  usable(): boolean;
  /** A command of the component failed: counted, restarts the wait, logged if it starts an outage. */
  markDown(reason: string): void;
  /** A command of the component was skipped because Redis is not usable(): counted, logged if it starts an outage. */
  markSkipped(): void;
  /** A command succeeded: logs the recovery if Redis was degraded. */
  markUp(): void;
  /** Not degraded and connected. */
  healthy(): boolean;
  /** Why Redis is not healthy: the outage's reason, else the connection's state. */
  unavailable(): string;
  /** PINGs now (one at a time) if PING gauges were given. */
  probe(): Promise<void>;
  /** Stops the PING timer, QUITs (at most QUIT_TIMEOUT_MS) and disconnects. */
  close(): Promise<void>;
}

/**
 * An ioredis client with the stack's resilience policy: bounded timeouts,
 * reconnection in the background, and a degraded state that is logged once
 * per outage (first failure, then recovery) with component-specific fields.
 */
export function createGuardedRedis(opts: GuardedRedisOptions): GuardedRedis {
  const { log, degraded, recovered, onCommandFailure, ping } = opts;
  const client = new Redis(opts.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    // Keep trying in the background, at most every 2 s.
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  });

  // undefined while healthy; the reason while degraded.
  let degradedReason: string | undefined;
  let closed = false;
  let lastFailureAt = 0;
  let timer: NodeJS.Timeout | undefined;

  /** Logs the first failure only; every failed command of the component is counted. */
  const fail = (reason: string, countAsFailure: boolean, attempted: boolean) => {
    if (countAsFailure) onCommandFailure?.();
    // Only a real attempt restarts the wait; skipped requests do not.
    if (attempted) lastFailureAt = Date.now();
    ping?.pingOk.set(0);
    if (degradedReason !== undefined || closed) return;
    degradedReason = reason;
    log.warn({ [degraded.field]: true, reason }, degraded.message);
  };
  const markUp = () => {
    if (degradedReason === undefined) return;
    log.info({ [recovered.field]: true, after: degradedReason }, recovered.message);
    degradedReason = undefined;
  };
  const unavailable = () => degradedReason ?? `redis ${client.status}`;
  const usable = () =>
    client.status === "ready" && (degradedReason === undefined || Date.now() - lastFailureAt >= RETRY_AFTER_FAILURE_MS);

  client.on("error", (err) => fail(describeError(err), false, true));
  client.on("close", () => {
    if (!closed) fail("connection closed", false, true);
  });
  client.on("ready", () => {
    markUp();
    ping?.pingOk.set(1);
  });

  let probing: Promise<void> | undefined;
  const probe = () => {
    if (closed || !ping) return Promise.resolve();
    probing ??= (async () => {
      if (client.status !== "ready") {
        ping.pingOk.set(0);
        return;
      }
      const t0 = process.hrtime.bigint();
      try {
        await client.ping();
        ping.latency.set(Number(process.hrtime.bigint() - t0) / 1e9);
        ping.pingOk.set(1);
        markUp();
      } catch (err) {
        fail(describeError(err), false, true);
      }
    })().finally(() => {
      probing = undefined;
    });
    return probing;
  };

  return {
    client,
    async connect(afterConnect) {
      try {
        await client.connect();
        await afterConnect?.();
        await probe();
      } catch (err) {
        // Start without Redis; ioredis keeps reconnecting in the background.
        fail(describeError(err), true, true);
      }
      if (ping) {
        timer = setInterval(() => void probe(), ping.intervalMs);
        timer.unref();
      }
    },
    usable,
    markDown: (reason) => fail(reason, true, true),
    markSkipped: () => fail(unavailable(), true, false),
    markUp,
    healthy: () => degradedReason === undefined && client.status === "ready",
    unavailable,
    probe,
    async close() {
      closed = true;
      clearInterval(timer);
      if (client.status === "ready") {
        await Promise.race([client.quit().catch(() => undefined), new Promise((r) => setTimeout(r, QUIT_TIMEOUT_MS).unref())]);
      }
      client.disconnect();
    },
  };
}
