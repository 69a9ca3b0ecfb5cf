import type { Logger } from "pino";
import { ALL_PROJECTS_STAMP_KEY, FUSION_STAMP_KEY, corpusStampKey } from "../../shared/cacheStamps/stampKeys.js";
import { createGuardedRedis, describeError } from "../../shared/redis/createGuardedRedis.js";
import { execMulti } from "../../shared/redis/execMulti.js";

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

/**
 * More distinct projects than this waiting for Redis are replaced by one
 * fusion bump, which is part of every scope and so invalidates them all.
 */
const MAX_PENDING_PROJECTS = 10_000;

/** Connects (bounded by createGuardedRedis's connect timeout) and returns the publisher; without redisUrl, a no-op one. */
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
  const redis = createGuardedRedis({
    url: opts.redisUrl,
    log,
    degraded: {
      field: "cache_stamps_degraded",
      message: "cannot publish cache stamps; the semantic cache may serve stale answers until Redis is back",
    },
    recovered: { field: "cache_stamps_recovered", message: "cache stamps published again" },
  });
  const { client } = redis;

  const pendingProjects = new Set<string>();
  let pendingFusion = false;
  let closed = false;

  let flushing: Promise<void> | undefined;
  /** Sends everything pending in one MULTI; on failure puts it back. */
  const flushOnce = async () => {
    if (closed || (pendingProjects.size === 0 && !pendingFusion)) return;
    // The connection state only, not usable(): after a failed MULTI the next bump tries again at once.
    if (client.status !== "ready") {
      redis.markSkipped();
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
      await execMulti(multi);
      redis.markUp();
      log.debug({ event: "cache_stamps_bumped", projects: projects.length, fusion }, "cache stamps bumped");
    } catch (err) {
      redis.markDown(describeError(err));
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

  client.on("ready", () => void flush());

  // Keeps running if Redis is down; ioredis reconnects in the background.
  await redis.connect();

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
      const healthy = redis.healthy();
      return healthy ? { enabled: true, healthy, pending } : { enabled: true, healthy, pending, reason: redis.unavailable() };
    },
    async close() {
      closed = true;
      await redis.close();
    },
  };
}
