import type { FastifyReply } from "fastify";
import type { Logger } from "pino";
import type { ChatCompletion } from "../clients/createChatBackend.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { HttpError } from "../../shared/http/HttpError.js";
import { SseWriter } from "../../shared/http/SseWriter.js";
import { finishTimings } from "./finishTimings.js";
import { completeWithFallback, streamWithFallback, toHttpError, type Generated } from "./generateAnswer.js";
import type { CachedQuery, PrepareInput, ReadyQuery } from "./PreparedQuery.js";
import { prepareQuery } from "./prepareQuery.js";
import { recordInteraction } from "./recordInteraction.js";

/** One streamed delta from the backend: its text, and its SSE payload as the backend framed it. */
export interface AnswerDelta {
  content: string;
  finishReason?: string | null;
  raw: string;
}

/**
 * How one endpoint shapes the answer; the lifecycle is the same for all.
 * `/query` and `/v1/chat/completions` each give one of these.
 */
export interface AnswerFormat {
  /** The generation request, built per attempt (a refused prompt is retried with less context). */
  generationBody(p: ReadyQuery): Record<string, unknown>;
  /** The JSON answer; may set headers on the reply. */
  completed(p: ReadyQuery, gen: Generated<ChatCompletion>, reply: FastifyReply): unknown;
  /** What the semantic cache keeps of an answer (`completion` when the backend gave a whole one); undefined: not cached. */
  cacheEntry(p: ReadyQuery, gen: Generated<unknown>, text: string, completion?: ChatCompletion): Record<string, unknown> | undefined;
  /** Streaming: the response headers, the first events, each delta, the last events, a failure mid-stream. */
  stream: {
    headers?(p: ReadyQuery, gen: Generated<unknown>): Record<string, string>;
    open?(sse: SseWriter, p: ReadyQuery, gen: Generated<unknown>): void;
    delta(sse: SseWriter, delta: AnswerDelta): void;
    close?(sse: SseWriter, p: ReadyQuery, finishReason: string | null): void;
    failed(sse: SseWriter, err: Error): void;
  };
  /** The answer from the semantic cache, JSON or streamed. */
  fromCache(p: CachedQuery, stream: boolean, reply: FastifyReply): unknown;
}

export interface AnswerRequest {
  input: PrepareInput;
  stream: boolean;
  reply: FastifyReply;
  signal: AbortSignal;
  log: Logger;
}

const since = (t0: number) => Math.round((performance.now() - t0) * 100) / 100;

/**
 * The one answer lifecycle behind `/query` and `/v1/chat/completions`:
 * prepare (sanitize … route) → generate (with fallback, JSON or streamed) →
 * record (interaction, gap, telemetry, semantic cache) → respond in the
 * endpoint's format. Timings, metrics and failures are handled here once.
 */
export async function answerQuery(rt: CoordinatorRuntime, format: AnswerFormat, req: AnswerRequest): Promise<unknown> {
  const endpoint = req.input.endpoint;
  const p = await prepareQuery(rt, req.input, req.log, req.signal);
  if (p.kind === "cached") {
    finishTimings(rt, p, endpoint);
    const text = typeof p.entry.response === "string" ? p.entry.response : "";
    recordInteraction(rt, p, { backend: "cache", reason: "semantic_cache_hit", response: text, status: "ok" });
    rt.metrics.requests.inc({ endpoint, outcome: "cache_hit" });
    return format.fromCache(p, req.stream, req.reply);
  }
  if (p.decision.action === "unavailable") {
    // No backend can answer yet (the local model is still being downloaded, no remote): 503, try again later.
    const err = new HttpError(
      503,
      "local_model_downloading",
      `the local model is still being downloaded (${p.localLoadProgressPct ?? 0}%) and no remote backend can answer; ask again later`,
      { load_progress_pct: p.localLoadProgressPct ?? 0 },
      { "retry-after": String(DOWNLOADING_RETRY_AFTER_S) },
    );
    recordFailure(rt, p, err, false);
    throw err;
  }
  return req.stream ? streamAnswer(rt, format, p, req) : completeAnswer(rt, format, p, req);
}

/** Seconds a client is told to wait (Retry-After) while no backend can answer because the local model downloads. */
export const DOWNLOADING_RETRY_AFTER_S = 30;

/** A failed generation: timed, recorded with its error, counted. */
function recordFailure(rt: CoordinatorRuntime, p: ReadyQuery, err: unknown, aborted: boolean): void {
  finishTimings(rt, p, p.endpoint);
  recordInteraction(rt, p, { backend: p.decision.backend, reason: p.decision.reason, response: "", status: aborted ? "aborted" : "error", error: (err as Error).message });
  rt.metrics.requests.inc({ endpoint: p.endpoint, outcome: aborted ? "aborted" : "backend_error" });
}

/** A successful generation: recorded (and offered to the semantic cache), counted. */
function recordSuccess(rt: CoordinatorRuntime, format: AnswerFormat, p: ReadyQuery, gen: Generated<unknown>, text: string, completion?: ChatCompletion): void {
  recordInteraction(rt, p, {
    backend: gen.backend,
    reason: p.decision.reason,
    fallbackReason: gen.fallback?.reason ?? p.decision.fallback_reason,
    routingOverride: p.decision.routing_override,
    response: text,
    status: "ok",
    cacheEntry: format.cacheEntry(p, gen, text, completion),
  });
  rt.metrics.requests.inc({ endpoint: p.endpoint, outcome: "ok" });
}

async function completeAnswer(rt: CoordinatorRuntime, format: AnswerFormat, p: ReadyQuery, req: AnswerRequest): Promise<unknown> {
  const t0 = performance.now();
  let gen: Generated<ChatCompletion>;
  try {
    gen = await completeWithFallback(rt, p, () => format.generationBody(p), req.signal);
  } catch (err) {
    p.timings.generate_ms = since(t0);
    recordFailure(rt, p, err, req.signal.aborted);
    throw toHttpError(err);
  }
  p.timings.generate_ms = since(t0);
  finishTimings(rt, p, p.endpoint);
  if (gen.result.usage) rt.metrics.completionTokens.inc({ backend: gen.backend }, gen.result.usage.completion_tokens);
  const text = gen.result.choices[0]?.message.content ?? "";
  const body = format.completed(p, gen, req.reply);
  recordSuccess(rt, format, p, gen, text, gen.result);
  return body;
}

async function streamAnswer(rt: CoordinatorRuntime, format: AnswerFormat, p: ReadyQuery, req: AnswerRequest): Promise<FastifyReply> {
  const t0 = performance.now();
  let gen: Awaited<ReturnType<typeof streamWithFallback>>;
  try {
    gen = await streamWithFallback(rt, p, () => format.generationBody(p), req.signal);
  } catch (err) {
    p.timings.generate_ms = since(t0);
    recordFailure(rt, p, err, req.signal.aborted);
    throw toHttpError(err);
  }
  const sse = new SseWriter(req.reply, format.stream.headers?.(p, gen));
  format.stream.open?.(sse, p, gen);
  let text = "";
  let finishReason: string | null = null;
  try {
    for await (const delta of gen.result.deltas) {
      if (delta.content) {
        rt.metrics.completionTokens.inc({ backend: gen.backend });
        text += delta.content;
      }
      if (delta.finishReason) finishReason = delta.finishReason;
      format.stream.delta(sse, delta);
    }
  } catch (err) {
    p.timings.generate_ms = since(t0);
    recordFailure(rt, p, err, req.signal.aborted);
    if (!req.signal.aborted) {
      p.log.error({ event: "stream_failed", err }, "generation failed mid-stream");
      format.stream.failed(sse, err as Error);
      sse.end();
    }
    return req.reply;
  }
  p.timings.generate_ms = since(t0);
  rt.routingMetrics.observeLatency(gen.backend, p.timings.generate_ms / 1000);
  finishTimings(rt, p, p.endpoint);
  format.stream.close?.(sse, p, finishReason);
  sse.end();
  recordSuccess(rt, format, p, gen, text);
  return req.reply;
}
