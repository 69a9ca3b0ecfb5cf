import type { z } from "zod";
import ports from "../../../lib/ports.json" with { type: "json" };
import { createServiceClient } from "../../shared/http/createServiceClient.js";
import { ServiceError } from "../../shared/http/ServiceError.js";
import {
  aidbStatusSchema,
  documentFeedbackResponseSchema,
  gcResponseSchema,
  ingestResponseSchema,
  type AidbStatus,
  type DocumentInput,
} from "./documentsContract.js";
import {
  gapsResponseSchema,
  interactionFeedbackResponseSchema,
  maxBatchItems,
  pingResponseSchema,
  storeBatchResponseSchema,
  storedInteractionSchema,
  type GapSummary,
  type StoreItem,
  type StoredInteraction,
} from "./interactionsContract.js";
import { maxSearchQueryChars, searchResponseSchema, type SearchMode, type SearchResult } from "./searchContract.js";

type IngestResponse = z.infer<typeof ingestResponseSchema>;
type GcResponse = z.infer<typeof gcResponseSchema>;

/** aidb on this host, at its port from lib/ports.json. */
export const defaultAidbUrl = `http://127.0.0.1:${ports.aidb}`;

/** What a document to ingest may leave out (the server fills in the defaults). */
export type DocumentToIngest = Omit<DocumentInput, "source_trust" | "metadata"> & Partial<Pick<DocumentInput, "source_trust" | "metadata">>;

export interface SearchRequest {
  query: string;
  project?: string;
  limit: number;
  mode?: SearchMode;
  includeGenerated?: boolean;
}

export interface AidbClient {
  readonly url: string;
  health(timeoutMs?: number): Promise<void>;
  status(): Promise<AidbStatus>;
  /** One batch of documents; the per-document results say which were stored. */
  ingest(documents: DocumentToIngest[]): Promise<IngestResponse>;
  gc(opts: { dryRun: boolean }): Promise<GcResponse>;
  /** Hybrid search; a query longer than aidb's limit is searched by its start. */
  search(q: SearchRequest, signal?: AbortSignal): Promise<SearchResult[]>;
  /** Links a rating to a document; false when aidb doesn't know the document. */
  documentFeedback(documentId: string, rating: 1 | -1): Promise<boolean>;
  interactions: {
    /** Writes interactions (and their gaps) in batches of at most maxBatchItems. */
    record(items: StoreItem[]): Promise<void>;
    get(id: string): Promise<StoredInteraction | undefined>;
    /** The interaction's document ids, or undefined when aidb doesn't know the interaction. */
    addFeedback(id: string, rating: 1 | -1, note?: string): Promise<{ documentIds: string[] } | undefined>;
    gaps(opts: { days: number; limit: number }): Promise<GapSummary[]>;
    /** `SELECT 1` on aidb's database through aidb; resolves with the round trip in ms. */
    ping(timeoutMs?: number): Promise<number>;
  };
}

/** The one client of aidb's HTTP API, used by the coordinator and `aq`. */
export function createAidbClient(opts: { url: string; timeoutMs: number; /** Sent as a bearer token when aidb enforces keys. */ apiKey?: string }): AidbClient {
  const http = createServiceClient({ service: "aidb", baseUrl: opts.url, timeoutMs: opts.timeoutMs, apiKey: opts.apiKey });
  const id = (s: string) => encodeURIComponent(s);
  return {
    url: http.baseUrl,
    async health(timeoutMs) {
      const response = await http.fetch("/health", { timeoutMs });
      await response.body?.cancel();
    },
    status: () => http.json("/status", aidbStatusSchema),
    ingest: (documents) => http.json("/documents", ingestResponseSchema, { body: { documents } }),
    gc: ({ dryRun }) => http.json("/gc", gcResponseSchema, { body: { dry_run: dryRun } }),
    async search(q, signal) {
      const r = await http.json("/search", searchResponseSchema, {
        query: {
          // aidb searches with at most maxSearchQueryChars; the start of a long question carries it.
          q: q.query.length > maxSearchQueryChars ? q.query.slice(0, maxSearchQueryChars) : q.query,
          limit: q.limit,
          mode: q.mode ?? "hybrid",
          project: q.project,
          include_generated: q.includeGenerated || undefined,
        },
        signal,
      });
      return r.results;
    },
    async documentFeedback(documentId, rating) {
      return (await http.jsonOrNotFound(`/documents/${id(documentId)}/feedback`, documentFeedbackResponseSchema, { body: { rating } })) !== undefined;
    },
    interactions: {
      async record(items) {
        for (let i = 0; i < items.length; i += maxBatchItems) {
          const done = await http.jsonOrNotFound("/interactions/batch", storeBatchResponseSchema, { body: { items: items.slice(i, i + maxBatchItems) } });
          if (!done) throw new ServiceError("aidb", "http", "aidb has no /interactions API (an older aidb?)", 404);
        }
      },
      get: (interactionId) => http.jsonOrNotFound(`/interactions/${id(interactionId)}`, storedInteractionSchema),
      async addFeedback(interactionId, rating, note) {
        const r = await http.jsonOrNotFound(`/interactions/${id(interactionId)}/feedback`, interactionFeedbackResponseSchema, {
          body: { rating, ...(note !== undefined && { note }) },
        });
        return r && { documentIds: r.document_ids };
      },
      async gaps(o) {
        return (await http.json("/interactions/gaps", gapsResponseSchema, { query: { days: o.days, limit: o.limit } })).gaps;
      },
      async ping(timeoutMs) {
        const t0 = performance.now();
        await http.json("/interactions/ping", pingResponseSchema, { timeoutMs });
        return performance.now() - t0;
      },
    },
  };
}
