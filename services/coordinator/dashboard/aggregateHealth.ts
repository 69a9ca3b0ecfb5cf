import { Redis } from "ioredis";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { maskUrl } from "./maskConfig.js";

/** How a dependency is checked: GET /health of our own services, Redis PING, SELECT 1, or the remote's circuit breaker. */
export type CheckMode = "http" | "tcp" | "sql" | "circuit";
export type EntryStatus = "ok" | "degraded" | "down";
export type OverallStatus = "healthy" | "degraded" | "down";

export interface HealthEntry {
  name: string;
  status: EntryStatus;
  check_mode: CheckMode;
  /** Round trip of the check; null for the circuit (nothing is sent). */
  latency_ms: number | null;
  /** What was checked (URL with credentials masked, or the database driver). */
  target: string;
  error?: string;
}

export interface HealthAggregate {
  overall_status: OverallStatus;
  checked_at: string;
  services: HealthEntry[];
  /** Dependencies that are not configured, so not checked (e.g. Redis without redisUrl). */
  skipped: { name: string; reason: string }[];
}

export interface HealthAggregateAnswer extends HealthAggregate {
  /** Whether this answer came from the cache, and how old it is. */
  cached: boolean;
  age_ms: number;
}

export interface HealthAggregator {
  /** The cached result when younger than cacheMs, else a fresh one. */
  get(): Promise<HealthAggregateAnswer>;
  /** Always a fresh result (it replaces the cached one). */
  probe(): Promise<HealthAggregateAnswer>;
}

/** The coordinator's database, however it is reached (directly, or through aidb). */
export interface DatabaseCheck {
  /** Shown in the tile, e.g. "postgres" or "aidb store". */
  target: string;
  /** Runs `SELECT 1`; rejects when the database does not answer. */
  ping(timeoutMs: number): Promise<unknown>;
}

export const HEALTH_CHECK_TIMEOUT_MS = 2000;
/** No longer than the dashboard's 2 s refresh, so a stopped service is red by the refresh after next at the latest. */
export const HEALTH_CACHE_MS = 2000;

const round = (ms: number) => Math.round(ms * 100) / 100;

function describe(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === "TimeoutError" || err.name === "AbortError") return `timed out after ${timeoutMs} ms`;
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return err.message;
  }
  return String(err);
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { name: "TimeoutError" })), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function timed(name: string, mode: CheckMode, target: string, timeoutMs: number, check: () => Promise<void>): Promise<HealthEntry> {
  const started = performance.now();
  try {
    await withTimeout(check(), timeoutMs);
    return { name, status: "ok", check_mode: mode, latency_ms: round(performance.now() - started), target };
  } catch (err) {
    return { name, status: "down", check_mode: mode, latency_ms: round(performance.now() - started), target, error: describe(err, timeoutMs) };
  }
}

/** GET <base>/health answering 2xx. */
export function httpCheck(name: string, baseUrl: string, timeoutMs: number): Promise<HealthEntry> {
  const url = `${baseUrl.replace(/\/+$/, "")}/health`;
  return timed(name, "http", maskUrl(url), timeoutMs, async () => {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await r.arrayBuffer().catch(() => undefined);
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
  });
}

/** A Redis PING on a connection of its own (AUTH and TLS from the URL), closed after. */
export function redisCheck(name: string, redisUrl: string, timeoutMs: number): Promise<HealthEntry> {
  return timed(name, "tcp", maskUrl(redisUrl), timeoutMs, async () => {
    const client = new Redis(redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      retryStrategy: () => null,
    });
    client.on("error", () => undefined);
    try {
      await client.connect();
      const pong = await client.ping();
      if (pong !== "PONG") throw new Error(`unexpected PING answer ${JSON.stringify(pong)}`);
    } finally {
      client.disconnect();
    }
  });
}

/** The remote is not ours and may have no /health: its circuit breaker and last call say how it is. */
function remoteEntry(rt: CoordinatorRuntime): HealthEntry {
  const circuit = rt.circuit();
  const target = maskUrl(rt.config.remoteLlmUrl ?? "");
  const state = circuit.state;
  if (state === "open") return { name: "remote_llm", status: "down", check_mode: "circuit", latency_ms: null, target, error: "circuit open (recent calls failed)" };
  if (state === "half_open") return { name: "remote_llm", status: "degraded", check_mode: "circuit", latency_ms: null, target, error: "circuit half-open (trying again)" };
  if (rt.remoteLastOk === false) return { name: "remote_llm", status: "degraded", check_mode: "circuit", latency_ms: null, target, error: "the last call failed" };
  return { name: "remote_llm", status: "ok", check_mode: "circuit", latency_ms: null, target };
}

/**
 * down: the coordinator cannot answer at all (its database is down, or the
 * local model is down with no usable remote); degraded: anything else not
 * ok; healthy otherwise.
 */
export function overallStatus(entries: HealthEntry[]): OverallStatus {
  const by = (n: string) => entries.find((e) => e.name === n);
  const local = by("local_llm");
  const remote = by("remote_llm");
  const remoteUsable = remote !== undefined && remote.status !== "down";
  if (by("database")?.status === "down") return "down";
  if (local?.status === "down" && !remoteUsable) return "down";
  return entries.every((e) => e.status === "ok") ? "healthy" : "degraded";
}

/** Runs every check in parallel; each ends within timeoutMs. */
export async function aggregateHealth(rt: CoordinatorRuntime, database: DatabaseCheck, timeoutMs = HEALTH_CHECK_TIMEOUT_MS): Promise<HealthAggregate> {
  const c = rt.config;
  const skipped: HealthAggregate["skipped"] = [];
  const checks: Promise<HealthEntry>[] = [httpCheck("local_llm", c.inferenceUrl, timeoutMs)];
  if (c.embeddingsUrl && c.embeddingsUrl !== c.inferenceUrl) checks.push(httpCheck("embeddings", c.embeddingsUrl, timeoutMs));
  if (c.rerankUrl && c.rerankUrl !== c.inferenceUrl && c.rerankUrl !== c.embeddingsUrl) checks.push(httpCheck("reranker", c.rerankUrl, timeoutMs));
  checks.push(httpCheck("aidb", c.aidbUrl, timeoutMs));
  if (rt.remote) checks.push(Promise.resolve(remoteEntry(rt)));
  else skipped.push({ name: "remote_llm", reason: "no remoteLlmUrl configured" });
  if (c.redisUrl && c.semanticCacheEnabled) checks.push(redisCheck("redis", c.redisUrl, timeoutMs));
  else skipped.push({ name: "redis", reason: c.redisUrl ? "semantic cache disabled (semanticCacheEnabled=false)" : "no redisUrl configured" });
  checks.push(
    // SELECT 1 on aidb's database, through aidb's /interactions/ping; app.ts passes the store's ping.
    timed("database", "sql", database.target, timeoutMs, async () => {
      await database.ping(timeoutMs);
    }),
  );
  const services = await Promise.all(checks);
  return { overall_status: overallStatus(services), checked_at: new Date().toISOString(), services, skipped };
}

/** aggregateHealth with a short cache; concurrent callers share one run. */
export function createHealthAggregator(rt: CoordinatorRuntime, database: DatabaseCheck, opts: { cacheMs?: number; timeoutMs?: number } = {}): HealthAggregator {
  const cacheMs = opts.cacheMs ?? HEALTH_CACHE_MS;
  let last: { at: number; result: HealthAggregate } | undefined;
  let running: Promise<{ at: number; result: HealthAggregate }> | undefined;
  const run = () => {
    running ??= aggregateHealth(rt, database, opts.timeoutMs)
      .then((result) => (last = { at: Date.now(), result }))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const answer = (entry: { at: number; result: HealthAggregate }, cached: boolean): HealthAggregateAnswer => ({
    ...entry.result,
    cached,
    age_ms: Math.max(0, Date.now() - entry.at),
  });
  return {
    async get() {
      if (last && Date.now() - last.at < cacheMs) return answer(last, true);
      return answer(await run(), false);
    },
    async probe() {
      // A run already in flight started before this call; wait for it, then run again.
      if (running) await running.catch(() => undefined);
      return answer(await run(), false);
    },
  };
}
