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
import { evalRunSchema, evalRunsResponseSchema, type EvalRun, type EvalRunInput } from "./evalContract.js";
import {
  dlqDropResponseSchema,
  dlqListSchema,
  dlqRetryResponseSchema,
  ingestJobSchema,
  jobListSchema,
  type DeadLetter,
  type IngestJob,
  type JobItemInput,
} from "./ingestJobsContract.js";
import {
  proposalListSchema,
  ratingsResponseSchema,
  storedProposalSchema,
  thresholdHistorySchema,
  type Proposal,
  type ProposalDecision,
  type ProposalStatus,
  type ProposalType,
  type RatingsResponse,
  type StoredProposal,
  type ThresholdChange,
} from "./learningContract.js";
import { deleteSourceItemsResponseSchema, sourceItemsResponseSchema, type StoredSourceItem } from "./sourcesContract.js";

type IngestResponse = z.infer<typeof ingestResponseSchema>;
type GcResponse = z.infer<typeof gcResponseSchema>;
type DlqRetryResponse = z.infer<typeof dlqRetryResponseSchema>;

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
  /** Resumable ingestion: documents queued in aidb, ingested in the background from a persisted position. */
  jobs: {
    create(label: string, items: JobItemInput[]): Promise<IngestJob>;
    get(id: string): Promise<IngestJob | undefined>;
    list(limit?: number): Promise<IngestJob[]>;
  };
  /** The dead-letter queue. */
  dlq: {
    list(opts?: { limit?: number; offset?: number }): Promise<{ total: number; items: DeadLetter[] }>;
    retry(opts: { ids?: number[]; limit?: number }): Promise<DlqRetryResponse>;
    drop(opts: { ids: number[] } | { all: true }): Promise<number>;
  };
  /** What each knowledge source's items were synced as. */
  sources: {
    items(sourceId: string): Promise<StoredSourceItem[]>;
    deleteItems(sourceId: string, keys: string[]): Promise<{ deleted_items: number; deleted_documents: number }>;
  };
  /** The learning loop's record. */
  learning: {
    propose(proposal: Proposal, opts: { actor: string; at?: Date }): Promise<StoredProposal>;
    list(opts?: { status?: ProposalStatus; type?: ProposalType; limit?: number }): Promise<StoredProposal[]>;
    get(id: string): Promise<StoredProposal | undefined>;
    decide(id: string, decision: Omit<ProposalDecision, "at"> & { at?: Date }): Promise<StoredProposal | undefined>;
    ratings(since: Date, until: Date): Promise<RatingsResponse>;
    thresholdHistory(limit?: number): Promise<ThresholdChange[]>;
  };
  /** `aq eval` runs. */
  evalRuns: {
    add(run: EvalRunInput): Promise<EvalRun>;
    list(opts?: { suite?: string; limit?: number }): Promise<EvalRun[]>;
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
    jobs: {
      create: (label, items) => http.json("/ingest/jobs", ingestJobSchema, { body: { label, items } }),
      get: (jobId) => http.jsonOrNotFound(`/ingest/jobs/${id(jobId)}`, ingestJobSchema),
      list: async (limit) => (await http.json("/ingest/jobs", jobListSchema, { query: { limit } })).jobs,
    },
    dlq: {
      list: (o = {}) => http.json("/dlq", dlqListSchema, { query: { limit: o.limit, offset: o.offset } }),
      retry: (o) => http.json("/dlq/retry", dlqRetryResponseSchema, { body: { ...(o.ids && { ids: o.ids }), ...(o.limit && { limit: o.limit }) } }),
      drop: async (o) => (await http.json("/dlq/drop", dlqDropResponseSchema, { body: o })).dropped,
    },
    sources: {
      items: async (sourceId) => (await http.json(`/sources/${id(sourceId)}/items`, sourceItemsResponseSchema)).items,
      deleteItems: (sourceId, keys) => http.json(`/sources/${id(sourceId)}/items/delete`, deleteSourceItemsResponseSchema, { body: { keys } }),
    },
    learning: {
      propose: (proposal, o) =>
        http.json("/learning/proposals", storedProposalSchema, { body: { proposal, actor: o.actor, ...(o.at && { at: o.at.toISOString() }) } }),
      list: async (o = {}) => (await http.json("/learning/proposals", proposalListSchema, { query: { status: o.status, type: o.type, limit: o.limit } })).proposals,
      get: (proposalId) => http.jsonOrNotFound(`/learning/proposals/${id(proposalId)}`, storedProposalSchema),
      decide: (proposalId, d) =>
        http.jsonOrNotFound(`/learning/proposals/${id(proposalId)}/decision`, storedProposalSchema, {
          body: { ...d, ...(d.at && { at: d.at.toISOString() }) },
        }),
      ratings: (since, until) => http.json("/learning/ratings", ratingsResponseSchema, { query: { since: since.toISOString(), until: until.toISOString() } }),
      thresholdHistory: async (limit) => (await http.json("/learning/threshold-history", thresholdHistorySchema, { query: { limit } })).history,
    },
    evalRuns: {
      add: (run) => http.json("/eval/runs", evalRunSchema, { body: run }),
      list: async (o = {}) => (await http.json("/eval/runs", evalRunsResponseSchema, { query: { suite: o.suite, limit: o.limit } })).runs,
    },
  };
}
