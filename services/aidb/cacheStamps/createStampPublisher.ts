import { Redis } from "ioredis";
import type { Logger } from "pino";
import { ALL_PROJECTS_STAMP_KEY, FUSION_STAMP_KEY, corpusStampKey } from "../../shared/cacheStamps/stampKeys.js";

/**
 * Publishes the version stamps that invalidate the coordinator's semantic
 * cache (see services/shared/cacheStamps/stampKeys.ts). Never throws and
 * never fails an aidb request: while Redis is unreachable the bumps are
 * kept in memory and sent when it is back.
 */
export interface StampPublisher {
  /** INCRs each project's corpus stamp and the all-projects stamp, in one MULTI. */
  bumpProjects(projects: string[]): Promise<void>;
  /** INCRs the fusion stamp (part of every cache scope). */
  bumpFusion(): Promise<void>;
  /** `enabled`: a Redis URL is configured; `pending`: bumps waiting for Redis. */
  status(): { enabled: boolean; healthy: boolean; pending: number; reason?: string };
  close(): Promise<void>;
}

export interface StampPublisherOptions {
  /** redis:// URL; absent or empty: a publisher that does nothing. */
  redisUrl?: string;
  logger: Logger;
}

const CONNECT_TIMEOUT_MS = 1000;
const COMMAND_TIMEOUT_MS = 300;
/**
 * More distinct projects than this waiting for Redis are replaced by one
 * fusion bump, which is part of every scope and so invalidates them all.
 */
const MAX_PENDING_PROJECTS = 10_000;

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Connects (at most CONNECT_TIMEOUT_MS) and returns the publisher; without redisUrl, a no-op one. */
export async function createStampPublisher(opts: StampPublisherOptions): Promise<StampPublisher> {
  if (!opts.redisUrl) {
    return {
      bumpProjects: async () => {},
      bumpFusion: async () => {},
      status: () => ({ enabled: false, healthy: true, pending: 0, reason: "no redisUrl configured: no semantic cache to invalidate" }),
      close: async () => {},
    };
  }
  const log = opts.logger.child({ component: "cache_stamps" });
  const client = new Redis(opts.redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  });

  const pendingProjects = new Set<string>();
  let pendingFusion = false;
  let degradedReason: string | undefined;
  let closed = false;

  const markDown = (reason: string) => {
    if (degradedReason !== undefined || closed) return;
    degradedReason = reason;
    log.warn({ cache_stamps_degraded: true, reason }, "cannot publish cache stamps; the semantic cache may serve stale answers until Redis is back");
  };
  const markUp = () => {
    if (degradedReason === undefined) return;
    log.info({ cache_stamps_recovered: true, after: degradedReason }, "cache stamps published again");
    degradedReason = undefined;
  };
  client.on("error", (err) => markDown(describe(err)));
  client.on("close", () => {
    if (!closed) markDown("connection closed");
  });

  let flushing: Promise<void> | undefined;
  /** Sends everything pending in one MULTI; on failure puts it back. */
  const flushOnce = async () => {
    if (closed || (pendingProjects.size === 0 && !pendingFusion)) return;
    if (client.status !== "ready") {
      markDown(`redis ${client.status}`);
      return;
    }
    const projects = [...pendingProjects];
    const fusion = pendingFusion;
    pendingProjects.clear();
    pendingFusion = false;
    const multi = client.multi();
    for (const p of projects) multi.incr(corpusStampKey(p));
    if (projects.length) multi.incr(ALL_PROJECTS_STAMP_KEY);
    if (fusion) multi.incr(FUSION_STAMP_KEY);
    try {
      const results = await multi.exec();
      if (!results) throw new Error("MULTI aborted");
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
      markUp();
      log.debug({ event: "cache_stamps_bumped", projects: projects.length, fusion }, "cache stamps bumped");
    } catch (err) {
      markDown(describe(err));
      enqueue(projects, fusion);
    }
  };
  /** One flush at a time; a bump arriving during a flush is sent by the next one. */
  const flush = async (): Promise<void> => {
    while (flushing) await flushing;
    flushing = flushOnce().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };
  const enqueue = (projects: string[], fusion: boolean) => {
    for (const p of projects) pendingProjects.add(p);
    if (fusion) pendingFusion = true;
    if (pendingProjects.size > MAX_PENDING_PROJECTS) {
      pendingProjects.clear();
      pendingFusion = true;
    }
  };

  client.on("ready", () => {
    markUp();
    void flush();
  });

  try {
    await client.connect();
  } catch (err) {
    // Keep running; ioredis reconnects in the background.
    markDown(describe(err));
  }

  return {
    async bumpProjects(projects) {
      const unique = [...new Set(projects)];
      if (unique.length === 0) return;
      enqueue(unique, false);
      await flush();
    },
    async bumpFusion() {
      enqueue([], true);
      await flush();
    },
    status() {
      const pending = pendingProjects.size + (pendingFusion ? 1 : 0);
      const healthy = degradedReason === undefined && client.status === "ready";
      return healthy ? { enabled: true, healthy, pending } : { enabled: true, healthy, pending, reason: degradedReason ?? `redis ${client.status}` };
    },
    async close() {
      closed = true;
      if (client.status === "ready") {
        await Promise.race([client.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 500).unref())]);
      }
      client.disconnect();
    },
  };
}
