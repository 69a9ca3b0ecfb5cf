import type { Logger } from "pino";
import type { AidbClient } from "../../aidb/api/createAidbClient.js";
import type { StoreItem } from "../../aidb/api/interactionsContract.js";
import { ServiceError } from "../../shared/http/ServiceError.js";
import { createRecordBatcher } from "./createRecordBatcher.js";
import type { InteractionStore } from "./InteractionStore.js";

/**
 * The store in aidb's database, through aidb's client. Records are sent in
 * batches (every 20 ms or 200 records), so recording costs the coordinator
 * one small HTTP call per batch rather than a query per request. While aidb
 * is unreachable (or failing), records are kept in memory (at most
 * `maxBacklog`, oldest dropped first) and retried.
 */
export function createAidbInteractionStore(opts: { aidb: AidbClient; logger?: Logger; maxBacklog?: number; retryMs?: number }): InteractionStore {
  const maxBacklog = opts.maxBacklog ?? 10_000;
  const retryMs = opts.retryMs ?? 5000;
  // Records that could not be written while aidb was unreachable; retried, oldest dropped beyond maxBacklog.
  let backlog: StoreItem[] = [];
  let dropped = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  const send = (items: StoreItem[]) => opts.aidb.interactions.record(items);
  const keepForRetry = (items: StoreItem[], err: unknown) => {
    backlog.push(...items);
    if (backlog.length > maxBacklog) {
      dropped += backlog.length - maxBacklog;
      backlog = backlog.slice(backlog.length - maxBacklog);
    }
    opts.logger?.warn(
      { event: "interaction_store_backlog", backlog: backlog.length, dropped, reason: (err as Error).message },
      "aidb unavailable: interactions kept in memory and retried",
    );
    retryTimer ??= setTimeout(() => {
      retryTimer = undefined;
      const retry = backlog;
      backlog = [];
      void send(retry).then(
        () => opts.logger?.info({ event: "interaction_store_recovered", written: retry.length }, "backlogged interactions written"),
        (e) => keepForRetry(retry, e),
      );
    }, retryMs);
    retryTimer.unref();
  };
  const batcher = createRecordBatcher<StoreItem>(
    async (items) => {
      try {
        await send(items);
      } catch (err) {
        // An unreachable or failing aidb: keep the records; a refused batch (4xx) would be refused again.
        if (err instanceof ServiceError && (err.kind !== "http" || (err.status ?? 500) >= 500)) keepForRetry(items, err);
        throw err;
      }
    },
    { maxBatch: 200, maxDelayMs: 20 },
  );
  return {
    kind: "aidb",
    record: (interaction, gap) => batcher.add({ interaction, ...(gap && { gap }) }),
    get: (id) => opts.aidb.interactions.get(id),
    addFeedback: (id, rating, note) => opts.aidb.interactions.addFeedback(id, rating, note),
    topGaps: (o) => opts.aidb.interactions.gaps(o),
    ping: (timeoutMs) => opts.aidb.interactions.ping(timeoutMs),
    async close() {
      await batcher.flush().catch(() => undefined);
      clearTimeout(retryTimer);
      retryTimer = undefined;
      if (backlog.length) {
        const rest = backlog;
        backlog = [];
        await send(rest).catch((err) => opts.logger?.error({ event: "interaction_store_lost", lost: rest.length, reason: (err as Error).message }, "interactions not written at shutdown"));
      }
    },
  };
}
