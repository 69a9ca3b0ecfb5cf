import type { FastifyReply } from "fastify";
import type { Logger } from "pino";
import { abortOnDisconnect } from "../../shared/http/abortOnDisconnect.js";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import { SseWriter } from "../../shared/http/SseWriter.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { answerQuery, type AnswerFormat } from "../pipeline/answerQuery.js";
import { buildRagMessages } from "../pipeline/buildRagMessages.js";
import type { Generated } from "../pipeline/generateAnswer.js";
import type { AnswerContext, CachedQuery, ReadyQuery } from "../pipeline/PreparedQuery.js";
import { queryRequestSchema, type QueryRequest } from "../api/queryContract.js";

/** What the semantic cache keeps of a /query answer. */
interface CachedQueryAnswer {
  response: string;
  backend: "local" | "remote";
  routing: Record<string, unknown>;
  context: Record<string, unknown>;
}

function routingOf(p: ReadyQuery, gen: Generated<unknown>) {
  const d = p.decision;
  return {
    reason: d.reason,
    local_confidence_score: Math.round(d.local_confidence_score * 1000) / 1000,
    threshold: d.threshold,
    ...(d.fallback_reason && { fallback_reason: d.fallback_reason }),
    ...(gen.fallback && { fallback_reason: gen.fallback.reason }),
    ...(d.routing_override && { routing_override: d.routing_override }),
    ...(d.action === "queue" && { queued: true }),
  };
}

function contextOf(c: AnswerContext) {
  const { sources, tokens_before, tokens_after, compressed, rerank, retrieval_error } = c;
  return { sources, tokens_before, tokens_after, compressed, rerank, ...(retrieval_error && { retrieval_error }) };
}

/** /query's answer: JSON, or SSE events `meta`, `token`…, `done` (or `error`), then `[DONE]`. */
function queryFormat(rt: CoordinatorRuntime, body: QueryRequest): AnswerFormat {
  return {
    generationBody: (p) => ({
      messages: buildRagMessages(p.query, p.passages),
      max_tokens: rt.config.maxTokens,
      ...(body.response_format && { response_format: body.response_format }),
    }),
    completed: (p, gen) => {
      const choice = gen.result.choices[0];
      return {
        interaction_id: p.id,
        response: choice?.message.content ?? "",
        backend: gen.backend,
        routing: routingOf(p, gen),
        context: contextOf(p.context),
        timings: p.timings,
        cache: { hit: false, variant: p.variant },
        ...(gen.result.usage && { usage: gen.result.usage }),
        ...(choice?.finish_reason && { finish_reason: choice.finish_reason }),
      };
    },
    cacheEntry: (p, gen, text) => ({ response: text, backend: gen.backend, routing: routingOf(p, gen), context: contextOf(p.context) }) satisfies CachedQueryAnswer,
    stream: {
      open: (sse, p, gen) =>
        sse.send({ type: "meta", interaction_id: p.id, backend: gen.backend, routing: routingOf(p, gen), context: contextOf(p.context), cache: { hit: false, variant: p.variant } }),
      delta: (sse, delta) => {
        if (delta.content) sse.send({ type: "token", text: delta.content });
      },
      close: (sse, p, finishReason) => sse.send({ type: "done", interaction_id: p.id, finish_reason: finishReason, timings: p.timings }),
      failed: (sse, err) => sse.send({ type: "error", error: "backend_failed_mid_stream", message: err.message }),
    },
    fromCache: (p, stream, reply) => answerFromCache(p, stream, reply),
  };
}

function answerFromCache(p: CachedQuery, stream: boolean, reply: FastifyReply) {
  const entry = p.entry as unknown as CachedQueryAnswer;
  const routing = { ...entry.routing, reason: "semantic_cache_hit", answered_by: entry.backend };
  const cache = { hit: true, variant: p.variant, kind: p.cache.kind, similarity: p.cache.similarity };
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

/**
 * POST /query: the RAG pipeline (sanitize, cache, expand, retrieve, rerank,
 * compress, select, generate, record) through `answerQuery`; this route only
 * maps the request in and the answer out.
 */
export async function queryRoute(app: KernelApp, { runtime: rt }: { runtime: CoordinatorRuntime }) {
  app.post("/query", { schema: { body: queryRequestSchema } }, async (request, reply) => {
    const body = request.body as QueryRequest;
    const structured = body.response_format !== undefined && body.response_format.type !== "text";
    return answerQuery(rt, queryFormat(rt, body), {
      input: {
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
      stream: body.stream,
      reply,
      signal: abortOnDisconnect(request, reply),
      log: request.log as unknown as Logger,
    });
  });
}
