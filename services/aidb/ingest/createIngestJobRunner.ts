import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { IngestJob, JobItem } from "../api/ingestJobsContract.js";
import { sleep } from "../../shared/retry/withRetry.js";
import type { DeadLetterRepository } from "./createDeadLetterRepository.js";
import type { IngestJobRepository } from "./createIngestJobRepository.js";
import { ingestItems, type IngestContext } from "./ingestItems.js";

export interface IngestJobRunner {
  /** Looks for work now (a job was just created). */
  wake(): void;
  /** Stops after the current slice (its waits cut short), and lets go of the leases. */
  stop(): Promise<void>;
}

/** How long a worker's lease on a job lasts; it is renewed every third of that while the job runs. */
const leaseMs = 30_000;
/** How often an idle runner looks for due jobs, at most. */
const idlePollMs = 5_000;

/**
 * The background worker of ingest jobs. It takes the oldest due job,
 * ingests its items a slice at a time (`ingestJobSliceDocuments`) with
 * retries, and writes the position reached after each slice, so a restart
 * resumes there. A document refused on its own (after its retries) goes to
 * the dead-letter queue and the job moves on. When a dependency is down
 * (a transient failure after all retries), the slice is not skipped: the
 * job waits `ingestJobPauseMs` and tries the same slice again, up to
 * `ingestJobMaxPauses` times in a row, after which the failing documents
 * are dead-lettered too.
 */
export function createIngestJobRunner(ctx: IngestContext & { jobs: IngestJobRepository; deadLetters: DeadLetterRepository }): IngestJobRunner {
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const stopping = new AbortController();
  let wakeUp: (() => void) | undefined;
  const pauses = new Map<string, number>();

  async function runSlice(job: IngestJob, offset: number): Promise<"advanced" | "paused" | "lost" | "stopped"> {
    const { config, logger } = ctx;
    const items: JobItem[] = await ctx.jobs.items(job.id, offset, config.ingestJobSliceDocuments);
    const { results, failures } = await ingestItems(ctx, items, stopping.signal);
    if (stopping.signal.aborted && failures.length > 0) return "stopped";
    const transient = failures.filter((f) => f.transient);
    const paused = pauses.get(job.id) ?? 0;
    if (transient.length > 0 && paused < config.ingestJobMaxPauses) {
      pauses.set(job.id, paused + 1);
      const error = `${transient.length} of ${items.length} documents failed (${transient[0]!.stage}): ${transient[0]!.error}`;
      logger.warn(
        { event: "ingest_job_waiting", job_id: job.id, offset, pause: paused + 1, pause_ms: config.ingestJobPauseMs, error },
        `ingest job ${job.id} waits ${config.ingestJobPauseMs} ms: a dependency is unavailable`,
      );
      await ctx.jobs.pause(job.id, owner, error, config.ingestJobPauseMs);
      return "paused";
    }
    pauses.delete(job.id);
    const letters = await ctx.deadLetters.add(
      failures.map((f) => ({ item: { ...items[f.index]!, document: f.document }, stage: f.stage, error: f.error, attempts: f.attempts, jobId: job.id })),
    );
    ctx.metrics.deadLettered.inc(letters.length);
    for (const f of failures) {
      logger.error({ event: "ingest_dead_lettered", job_id: job.id, position: offset + f.index, stage: f.stage, attempts: f.attempts, error: f.error }, "document dead-lettered");
    }
    const count = (s: string) => results.filter((r) => r.status === s).length;
    const moved = await ctx.jobs.advance(
      job.id,
      owner,
      { nextOffset: offset + items.length, stored: count("stored"), duplicates: count("duplicate"), failed: count("failed"), deadLettered: letters.length },
      job.total,
    );
    return moved ? "advanced" : "lost";
  }

  async function runJob(job: IngestJob): Promise<void> {
    const renew = setInterval(() => void ctx.jobs.renew(job.id, owner, leaseMs).catch(() => {}), leaseMs / 3);
    try {
      let offset = job.next_offset;
      ctx.logger.info({ event: "ingest_job_started", job_id: job.id, label: job.label, offset, total: job.total }, `ingest job ${job.id} from ${offset} of ${job.total}`);
      while (offset < job.total && !stopping.signal.aborted) {
        const outcome = await runSlice(job, offset);
        if (outcome !== "advanced") return;
        offset = Math.min(job.total, offset + ctx.config.ingestJobSliceDocuments);
      }
      if (offset >= job.total) {
        const done = await ctx.jobs.get(job.id);
        ctx.logger.info({ event: "ingest_job_done", job_id: job.id, ...done }, `ingest job ${job.id} done`);
      }
    } finally {
      clearInterval(renew);
    }
  }

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let job: IngestJob | undefined;
      try {
        job = await ctx.jobs.claim(owner, leaseMs);
        if (job) await runJob(job);
      } catch (err) {
        ctx.logger.error({ event: "ingest_job_error", job_id: job?.id, err }, "the ingest job runner failed; trying again shortly");
        job = undefined;
        await sleep(1000, stopping.signal);
      }
      if (job || stopping.signal.aborted) continue;
      let waitMs = idlePollMs;
      try {
        const due = await ctx.jobs.nextDue();
        if (due) waitMs = Math.max(50, Math.min(idlePollMs, due.getTime() - Date.now()));
      } catch {
        // the database is down: poll again later
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        function done() {
          clearTimeout(timer);
          wakeUp = undefined;
          stopping.signal.removeEventListener("abort", done);
          resolve();
        }
        wakeUp = done;
        stopping.signal.addEventListener("abort", done, { once: true });
      });
    }
  })();

  return {
    wake: () => wakeUp?.(),
    async stop() {
      stopping.abort();
      await loop;
      await ctx.jobs.release(owner).catch(() => {});
    },
  };
}
