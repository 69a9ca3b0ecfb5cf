import ports from "../../../lib/ports.json" with { type: "json" };
import { createServiceClient } from "../../shared/http/createServiceClient.js";
import { ServiceError } from "../../shared/http/ServiceError.js";
import { readSse } from "../../inference/api/readSse.js";
import { feedbackResponseSchema, type FeedbackRequest, type FeedbackResponse } from "./feedbackContract.js";
import { gapsResponseSchema, type GapsQuery, type GapsResponse } from "./gapsContract.js";
import {
  learningRunResponseSchema,
  learningSummarySchema,
  proposalListResponseSchema,
  storedProposalSchema,
  type LearningRunResponse,
  type LearningSummary,
  type ProposalDecisionRequest,
} from "./proposalsContract.js";
import type { StoredProposal } from "../../aidb/api/learningContract.js";
import { queryEventSchema, queryResponseSchema, streamEnd, type QueryEvent, type QueryRequestInput, type QueryResponse } from "./queryContract.js";
import { statusResponseSchema, type StatusResponse } from "./statusContract.js";

export const defaultCoordinatorUrl = `http://127.0.0.1:${ports.coordinator}`;

export interface CoordinatorClientOptions {
  /** Default: the coordinator's port on loopback (lib/ports.json). */
  baseUrl?: string;
  /** status, feedback and gaps. Default 60 s. */
  timeoutMs?: number;
  /**
   * A whole answer, streamed or not. Default 1 h: the coordinator bounds its
   * own backend calls (localTimeoutMs, remoteTimeoutMs); this only ends a
   * wait on a coordinator that hangs.
   */
  queryTimeoutMs?: number;
  /** Sent as a bearer token when the coordinator enforces API keys. */
  apiKey?: string;
}

export interface CallSignal {
  /** The caller's cancellation. */
  signal?: AbortSignal;
}

/** The question; `stream` is chosen by the method (query or queryStream). */
export type QueryInput = Omit<QueryRequestInput, "stream">;

export interface CoordinatorClient {
  readonly baseUrl: string;
  /** POST /query: the JSON answer. */
  query(body: QueryInput, opts?: CallSignal): Promise<QueryResponse>;
  /**
   * POST /query with `stream: true`: the events as they come (meta, tokens,
   * then done or error). Throws a ServiceError when the stream breaks or ends
   * before the answer is complete.
   */
  queryStream(body: QueryInput, opts?: CallSignal): AsyncGenerator<QueryEvent, void, undefined>;
  /** GET /status. */
  status(opts?: CallSignal): Promise<StatusResponse>;
  /** POST /feedback/:id: rates an answer (`aq rate`). An unknown id is a ServiceError with status 404. */
  feedback(interactionId: string, body: FeedbackRequest, opts?: CallSignal): Promise<FeedbackResponse>;
  /** GET /gaps. */
  gaps(query?: Partial<GapsQuery>, opts?: CallSignal): Promise<GapsResponse>;
  /** The learning loop (`aq proposals`). An unknown or decided proposal is a ServiceError (404, 409). */
  proposals: {
    list(query?: { status?: StoredProposal["status"]; limit?: number }): Promise<StoredProposal[]>;
    get(id: string): Promise<StoredProposal | undefined>;
    approve(id: string, body?: ProposalDecisionRequest): Promise<StoredProposal>;
    reject(id: string, body?: ProposalDecisionRequest): Promise<StoredProposal>;
    /** POST /learning/run: the weekly job now. */
    run(opts?: { dryRun?: boolean }): Promise<LearningRunResponse>;
    summary(): Promise<LearningSummary>;
  };
}

const service = "the coordinator";

/**
 * The one client of the coordinator's HTTP API (`aq ask`, `status`, `rate`,
 * `gaps`), on the shared service client: every failure is a ServiceError,
 * every answer is checked against the contract in this folder.
 */
export function createCoordinatorClient(opts: CoordinatorClientOptions = {}): CoordinatorClient {
  const http = createServiceClient({ service, baseUrl: opts.baseUrl ?? defaultCoordinatorUrl, timeoutMs: opts.timeoutMs ?? 60_000, apiKey: opts.apiKey });
  const base = http.baseUrl;
  const queryTimeoutMs = opts.queryTimeoutMs ?? 3_600_000;

  /** A failure while reading a stream that had begun. */
  function streamFailure(err: unknown, signal?: AbortSignal): ServiceError {
    const e = err as { name?: string; message?: string; cause?: { message?: string } };
    if (e.name === "TimeoutError") return new ServiceError(service, "timeout", `${service} at ${base} did not finish the answer within ${queryTimeoutMs} ms`);
    if (signal?.aborted || e.name === "AbortError") return new ServiceError(service, "aborted", `${service}: request aborted`);
    return new ServiceError(service, "unreachable", `the stream from ${service} at ${base} broke: ${e.cause?.message ?? e.message ?? String(err)}`);
  }

  function parseEvent(data: string): QueryEvent {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      throw new ServiceError(service, "invalid_response", `${service} at ${base} sent an event that is not JSON: ${data.slice(0, 200)}`);
    }
    const parsed = queryEventSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? ` (${issue.path.join(".") || "event"}: ${issue.message})` : "";
      throw new ServiceError(service, "invalid_response", `${service} at ${base} sent an event of an unexpected shape${where}: ${data.slice(0, 200)}`);
    }
    return parsed.data;
  }

  return {
    baseUrl: base,
    query(body, o = {}) {
      return http.json("/query", queryResponseSchema, { body: { ...body, stream: false }, timeoutMs: queryTimeoutMs, signal: o.signal });
    },
    async *queryStream(body, o = {}) {
      const response = await http.fetch("/query", {
        body: { ...body, stream: true },
        headers: { accept: "text/event-stream" },
        timeoutMs: queryTimeoutMs,
        signal: o.signal,
      });
      if (!response.body) throw new ServiceError(service, "invalid_response", `${service} at ${base} sent an empty stream`);
      let complete = false;
      const events = readSse(response.body);
      try {
        for (;;) {
          let next: IteratorResult<string>;
          try {
            next = await events.next();
          } catch (err) {
            throw streamFailure(err, o.signal);
          }
          if (next.done) break;
          if (next.value === streamEnd) {
            complete = true;
            break;
          }
          const event = parseEvent(next.value);
          if (event.type === "done" || event.type === "error") complete = true;
          yield event;
        }
      } finally {
        // Also when the caller stops reading early: the stream is let go.
        await events.return(undefined);
      }
      if (!complete) throw new ServiceError(service, "invalid_response", `the stream from ${service} at ${base} ended before the answer was complete`);
    },
    status(o = {}) {
      return http.json("/status", statusResponseSchema, { signal: o.signal });
    },
    feedback(interactionId, body, o = {}) {
      return http.json(`/feedback/${encodeURIComponent(interactionId)}`, feedbackResponseSchema, { body, signal: o.signal });
    },
    proposals: {
      list: async (q = {}) => (await http.json("/proposals", proposalListResponseSchema, { query: { status: q.status, limit: q.limit } })).proposals,
      get: (id) => http.jsonOrNotFound(`/proposals/${encodeURIComponent(id)}`, storedProposalSchema),
      approve: (id, body = {}) => http.json(`/proposals/${encodeURIComponent(id)}/approve`, storedProposalSchema, { body }),
      reject: (id, body = {}) => http.json(`/proposals/${encodeURIComponent(id)}/reject`, storedProposalSchema, { body }),
      run: (o = {}) => http.json("/learning/run", learningRunResponseSchema, { body: { dry_run: Boolean(o.dryRun) } }),
      summary: () => http.json("/learning/summary", learningSummarySchema),
    },
    gaps(query = {}, o = {}) {
      return http.json("/gaps", gapsResponseSchema, { query: { days: query.days, limit: query.limit }, signal: o.signal });
    },
  };
}
