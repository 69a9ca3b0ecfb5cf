import type { Logger } from "pino";
import { ServiceError, fetchFailure, httpFailure } from "../../shared/http/ServiceError.js";
import { timeoutSignal } from "../../shared/http/timeoutSignal.js";
import { createRecordBatcher } from "./createRecordBatcher.js";
import type { StoreItem } from "./createSqlInteractionStore.js";
import type { InteractionStore } from "./InteractionStore.js";
import type { GapSummary, StoredInteraction } from "./interactionStoreTypes.js";
import { maxBatchItems } from "./storeItemSchema.js";

/**
 * The store in aidb's database, through aidb's /interactions API. Records
 * are sent in batches (every 20 ms or 200 records), so recording costs the
 * coordinator one small HTTP call per batch rather than a query per request.
 */
export function createAidbInteractionStore(opts: { url: string; timeoutMs: number; logger?: Logger; maxBacklog?: number; retryMs?: number }): InteractionStore {
  const maxBacklog = opts.maxBacklog ?? 10_000;
  const retryMs = opts.retryMs ?? 5000;
  const base = opts.url.replace(/\/+$/, "");
  const call = async (path: string, init: RequestInit = {}, timeoutMs = opts.timeoutMs): Promise<Response> => {
    const url = `${base}${path}`;
    try {
      return await fetch(url, { ...init, headers: { "content-type": "application/json", ...init.headers }, signal: timeoutSignal(timeoutMs) });
    } catch (err) {
      throw fetchFailure("aidb", url, err, timeoutMs);
    }
  };
  const json = async <T>(path: string, init?: RequestInit, timeoutMs?: number): Promise<T | undefined> => {
    const r = await call(path, init, timeoutMs);
    if (r.status === 404) {
      await r.body?.cancel();
      return undefined;
    }
    if (!r.ok) throw await httpFailure("aidb", `${base}${path}`, r);
    return (await r.json()) as T;
  };
  // Records that could not be written while aidb was unreachable; retried, oldest dropped beyond maxBacklog.
  let backlog: StoreItem[] = [];
  let dropped = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  const send = async (items: StoreItem[]) => {
    for (let i = 0; i < items.length; i += maxBatchItems) {
      const done = await json<{ recorded: number }>("/interactions/batch", { method: "POST", body: JSON.stringify({ items: items.slice(i, i + maxBatchItems) }) });
      if (!done) throw new ServiceError("aidb", "http", "aidb has no /interactions API (an older aidb?)", 404);
    }
  };
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
    get: (id) => json<StoredInteraction>(`/interactions/${encodeURIComponent(id)}`),
    async addFeedback(id, rating, note) {
      const r = await json<{ document_ids: string[] }>(`/interactions/${encodeURIComponent(id)}/feedback`, {
        method: "POST",
        body: JSON.stringify({ rating, ...(note !== undefined && { note }) }),
      });
      return r ? { documentIds: r.document_ids } : undefined;
    },
    async topGaps(o) {
      const r = await json<{ gaps: GapSummary[] }>(`/interactions/gaps?days=${o.days}&limit=${o.limit}`);
      return r?.gaps ?? [];
    },
    async ping(timeoutMs) {
      const t0 = performance.now();
      const r = await json<{ ok: boolean }>("/interactions/ping", {}, timeoutMs);
      if (!r?.ok) throw new ServiceError("aidb", "invalid_response", "aidb /interactions/ping did not answer ok");
      return performance.now() - t0;
    },
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
