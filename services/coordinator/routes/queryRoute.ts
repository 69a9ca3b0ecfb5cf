import type { Logger } from "pino";
import type { FastifyReply } from "fastify";
import { abortOnDisconnect } from "../../shared/http/abortOnDisconnect.js";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { buildRagMessages } from "../pipeline/buildRagMessages.js";
import { completeWithFallback, streamWithFallback, toHttpError, type Generated } from "../pipeline/generateAnswer.js";
import { prepareQuery, type Prepared } from "../pipeline/prepareQuery.js";
import { queryRequestSchema, type QueryRequest } from "../pipeline/queryRequestSchema.js";
import { recordInteraction } from "../pipeline/recordInteraction.js";
import { finishTimings } from "./finishTimings.js";
import { SseWriter } from "./SseWriter.js";

/** What the semantic cache keeps of an answer. */
interface CachedQueryAnswer {
  response: string;
  backend: "local" | "remote";
  routing: Record<string, unknown>;
  context: Record<string, unknown>;
}

function routingOf(p: Prepared, gen?: Generated<unknown>) {
  const d = p.decision!;
  return {
    reason: d.reason,
    local_confidence_score: Math.round(d.local_confidence_score * 1000) / 1000,
    threshold: d.threshold,
    ...(d.fallback_reason && { fallback_reason: d.fallback_reason }),
    ...(gen?.fallback && { fallback_reason: gen.fallback.reason }),
    ...(d.routing_override && { routing_override: d.routing_override }),
    ...(d.action === "queue" && { queued: true }),
  };
}

function contextOf(p: Prepared) {
  const { sources, tokens_before, tokens_after, compressed, rerank, retrieval_error } = p.context;
  return { sources, tokens_before, tokens_after, compressed, rerank, ...(retrieval_error && { retrieval_error }) };
}

/**
 * POST /query: the RAG pipeline (sanitize, cache, expand, retrieve, rerank,
 * compress, select, generate, record). JSON, or SSE with `stream: true`:
 * `{type:"meta",...}`, `{type:"token",text}`..., `{type:"done",...}`, `[DONE]`.
 */
export async function queryRoute(app: KernelApp, { runtime: rt }: { runtime: CoordinatorRuntime }) {
  app.post("/query", { schema: { body: queryRequestSchema } }, async (request, reply) => {
    const body = request.body as QueryRequest;
    const signal = abortOnDisconnect(request, reply);
    const structured = body.response_format !== undefined && body.response_format.type !== "text";
    const prepared = await prepareQuery(
      rt,
      {
        endpoint: "query",
        query: body.query,
        project: body.project,
        forceLocal: body.force_local,
        forceRemote: body.force_remote,
        preferLocal: body.prefer_local,
        structuredOutput: structured,
        includeGenerated: body.include_generated,
        retrieval: true,
        cacheKeyExtra: { rf: body.response_format ?? null, fl: body.force_local, fr: body.force_remote, pl: body.prefer_local, ig: body.include_generated },
        semanticCache: !structured && !body.force_local && !body.force_remote && !body.prefer_local && !body.include_generated,
      },
      request.log as unknown as Logger,
      signal,
    );

    if (prepared.cached) return answerFromCache(rt, prepared, body.stream, reply);

    // Built per attempt: a prompt the model refuses as too long is retried with less context.
    const genBody = () => ({
      messages: buildRagMessages(prepared.query, prepared.passages),
      max_tokens: rt.config.maxTokens,
      ...(body.response_format && { response_format: body.response_format }),
    });
    return body.stream ? streamAnswer(rt, prepared, genBody, reply, signal) : completeAnswer(rt, prepared, genBody, signal);
  });
}

/** Records a generated answer, offers it to the semantic cache and counts it. */
function recordAnswer(
  rt: CoordinatorRuntime,
  p: Prepared,
  backend: "local" | "remote",
  text: string,
  routing: ReturnType<typeof routingOf>,
  context: ReturnType<typeof contextOf>,
) {
  recordInteraction(rt, p, {
    backend,
    reason: p.decision!.reason,
    fallbackReason: routing.fallback_reason,
    routingOverride: p.decision!.routing_override,
    response: text,
    status: "ok",
    cacheEntry: { response: text, backend, routing, context } satisfies CachedQueryAnswer,
  });
  rt.metrics.requests.inc({ endpoint: "query", outcome: "ok" });
}

function failed(rt: CoordinatorRuntime, p: Prepared, err: unknown, status: "error" | "aborted" = "error") {
  finishTimings(rt, p, "query");
  recordInteraction(rt, p, { backend: p.decision!.backend, reason: p.decision!.reason, response: "", status, error: (err as Error).message });
  rt.metrics.requests.inc({ endpoint: "query", outcome: status === "aborted" ? "aborted" : "backend_error" });
}

async function completeAnswer(rt: CoordinatorRuntime, p: Prepared, genBody: () => Record<string, unknown>, signal: AbortSignal) {
  const t0 = performance.now();
  let gen: Generated<Awaited<ReturnType<CoordinatorRuntime["local"]["complete"]>>>;
  try {
    gen = await completeWithFallback(rt, p, genBody, signal);
  } catch (err) {
    p.timings.generate_ms = Math.round((performance.now() - t0) * 100) / 100;
    failed(rt, p, err, signal.aborted ? "aborted" : "error");
    throw toHttpError(err);
  }
  p.timings.generate_ms = Math.round((performance.now() - t0) * 100) / 100;
  finishTimings(rt, p, "query");
  const text = gen.result.choices[0]?.message.content ?? "";
  if (gen.result.usage) rt.metrics.completionTokens.inc({ backend: gen.backend }, gen.result.usage.completion_tokens);
  const routing = routingOf(p, gen);
  const context = contextOf(p);
  recordAnswer(rt, p, gen.backend, text, routing, context);
  return {
    interaction_id: p.id,
    response: text,
    backend: gen.backend,
    routing,
    context,
    timings: p.timings,
    cache: { hit: false, variant: p.variant },
    ...(gen.result.usage && { usage: gen.result.usage }),
    ...(gen.result.choices[0]?.finish_reason && { finish_reason: gen.result.choices[0].finish_reason }),
  };
}

async function streamAnswer(rt: CoordinatorRuntime, p: Prepared, genBody: () => Record<string, unknown>, reply: FastifyReply, signal: AbortSignal) {
  const t0 = performance.now();
  let gen: Awaited<ReturnType<typeof streamWithFallback>>;
  try {
    gen = await streamWithFallback(rt, p, genBody, signal);
  } catch (err) {
    p.timings.generate_ms = Math.round((performance.now() - t0) * 100) / 100;
    failed(rt, p, err, signal.aborted ? "aborted" : "error");
    throw toHttpError(err);
  }
  const routing = routingOf(p, gen);
  const context = contextOf(p);
  const sse = new SseWriter(reply);
  sse.send({ type: "meta", interaction_id: p.id, backend: gen.backend, routing, context, cache: { hit: false, variant: p.variant } });
  let text = "";
  let finishReason: string | null | undefined;
  try {
    for await (const delta of gen.result.deltas) {
      if (delta.content) {
        rt.metrics.completionTokens.inc({ backend: gen.backend });
        text += delta.content;
        sse.send({ type: "token", text: delta.content });
      }
      if (delta.finishReason) finishReason = delta.finishReason;
    }
  } catch (err) {
    p.timings.generate_ms = Math.round((performance.now() - t0) * 100) / 100;
    const aborted = signal.aborted;
    failed(rt, p, err, aborted ? "aborted" : "error");
    if (!aborted) {
      p.log.error({ event: "stream_failed", err }, "generation failed mid-stream");
      sse.send({ type: "error", error: "backend_failed_mid_stream", message: (err as Error).message });
      sse.end();
    }
    return reply;
  }
  p.timings.generate_ms = Math.round((performance.now() - t0) * 100) / 100;
  rt.routingMetrics.observeLatency(gen.backend, p.timings.generate_ms / 1000);
  finishTimings(rt, p, "query");
  sse.send({ type: "done", interaction_id: p.id, finish_reason: finishReason ?? null, timings: p.timings });
  sse.end();
  recordAnswer(rt, p, gen.backend, text, routing, context);
  return reply;
}

function answerFromCache(rt: CoordinatorRuntime, p: Prepared, stream: boolean, reply: FastifyReply) {
  const entry = p.cached as unknown as CachedQueryAnswer;
  finishTimings(rt, p, "query");
  const routing = { ...entry.routing, reason: "semantic_cache_hit", answered_by: entry.backend };
  const cache = { hit: true, variant: p.variant, ...(p.cache.kind && { kind: p.cache.kind }), ...(p.cache.similarity !== undefined && { similarity: p.cache.similarity }) };
  recordInteraction(rt, p, { backend: "cache", reason: "semantic_cache_hit", response: entry.response, status: "ok" });
  rt.metrics.requests.inc({ endpoint: "query", outcome: "cache_hit" });
  if (!stream) {
    return { interaction_id: p.id, response: entry.response, backend: entry.backend, routing, context: entry.context, timings: p.timings, cache };
  }
  const sse = new SseWriter(reply);
  sse.send({ type: "meta", interaction_id: p.id, backend: entry.backend, routing, context: entry.context, cache });
  if (entry.response) sse.send({ type: "token", text: entry.response });
  sse.send({ type: "done", interaction_id: p.id, finish_reason: "stop", timings: p.timings });
  sse.end();
  return reply;
}
