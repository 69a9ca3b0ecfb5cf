import { randomUUID } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import { HttpError } from "../../shared/http/HttpError.js";
import { chatCompletionRequestSchema, type ChatCompletionRequest } from "../api/chatCompletionRequestSchema.js";
import type { chatCompletionSchema } from "../api/chatCompletionSchema.js";
import { completeChat, type ChatResult, type ToolCallDelta } from "../completeChat.js";
import { openAiError } from "../../shared/http/openAiError.js";
import type { InferenceRuntime } from "../InferenceRuntime.js";
import { RequestAbortedError } from "../RequestAbortedError.js";
import { abortOnDisconnect } from "../../shared/http/abortOnDisconnect.js";
import { SseWriter } from "../../shared/http/SseWriter.js";

/** The JSON answer as the contract describes it (before its defaults apply). */
type ChatCompletionAnswer = z.input<typeof chatCompletionSchema>;

/** POST /v1/chat/completions, OpenAI-compatible, JSON or SSE. */
export async function chatCompletionsRoute(app: KernelApp, { runtime }: { runtime: InferenceRuntime }) {
  app.post("/v1/chat/completions", { schema: { body: chatCompletionRequestSchema } }, async (request, reply) => {
    const body = request.body as ChatCompletionRequest;
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const signal = abortOnDisconnect(request, reply);
    const endTimer = runtime.metrics.requestDuration.startTimer({ endpoint: "chat_completions" });
    const sse = body.stream ? new ChunkStream(request, reply, id, created) : undefined;
    try {
      const result = await completeChat({
        host: runtime.chat,
        llama: runtime.llama,
        request: body,
        defaultMaxTokens: runtime.config.defaultMaxTokens,
        chatConfigured: runtime.config.chatModel !== undefined,
        toolCalling: runtime.config.chatModelToolCalling,
        download: runtime.downloads.chat,
        signal,
        grammarFor: runtime.grammarFor,
        onText: sse ? (text) => sse.delta(text, runtime.chat.status().model_name ?? "") : undefined,
        onToolCall: sse ? (call) => sse.toolCall(call, runtime.chat.status().model_name ?? "") : undefined,
      });
      record(runtime, result);
      if (result.aborted) {
        request.log.info({ event: "client_disconnected", completion_tokens: result.completionTokens }, "generation aborted: client went away");
        if (sse?.started) {
          sse.end();
          return reply;
        }
        return clientClosed(reply);
      }
      if (sse) {
        sse.finish(result, body.stream_options?.include_usage === true);
        return reply;
      }
      return {
        id,
        object: "chat.completion",
        created,
        model: result.modelName,
        choices: [{ index: 0, message: messageOf(result), finish_reason: result.finishReason }],
        usage: usage(result),
      } satisfies ChatCompletionAnswer;
    } catch (err) {
      if (err instanceof RequestAbortedError) {
        request.log.info({ event: "client_disconnected", queued: true }, "request left the queue: client went away");
        return clientClosed(reply);
      }
      if (err instanceof HttpError && err.statusCode === 503) runtime.metrics.requestsRejected.inc({ reason: err.code });
      if (err instanceof HttpError && err.code === "context_length_exceeded") {
        runtime.metrics.requestsRejected.inc({ reason: err.code });
      }
      if (sse?.started) {
        sse.fail(err as Error);
        return reply;
      }
      throw err;
    } finally {
      endTimer();
    }
  });
}

/** Nobody is listening any more; finish the reply so the connection is released. */
function clientClosed(reply: FastifyReply) {
  return reply.code(499).send({ error: "client_closed_request", message: "the client closed the connection" });
}

/** The answer's message: its text, and the calls the model made (content is then null unless it also said something). */
function messageOf(r: ChatResult) {
  if (r.toolCalls.length === 0) return { role: "assistant", content: r.text };
  return {
    role: "assistant",
    content: r.text || null,
    tool_calls: r.toolCalls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } })),
  };
}

function usage(r: ChatResult) {
  return { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens };
}

function record(runtime: InferenceRuntime, r: ChatResult) {
  runtime.metrics.promptTokens.inc(r.promptTokens);
  runtime.metrics.tokensGenerated.inc(r.completionTokens);
  if (r.completionTokens > 0 && r.generationSeconds > 0) {
    runtime.metrics.tokensPerSecond.observe(r.completionTokens / r.generationSeconds);
  }
}

/**
 * Server-sent events in OpenAI's chunk format. Headers go out with the first
 * token, so errors before generation starts (queue full, context too long)
 * still get a normal JSON status.
 */
class ChunkStream {
  private readonly sse: SseWriter;

  constructor(
    private readonly request: FastifyRequest,
    reply: FastifyReply,
    private readonly id: string,
    private readonly created: number,
  ) {
    this.sse = new SseWriter(reply);
  }

  get started(): boolean {
    return this.sse.started;
  }

  delta(text: string, model: string) {
    if (!text) return;
    if (!this.started) this.start(model);
    this.send({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] }, model);
  }

  /** A piece of a tool call, as OpenAI streams it. */
  toolCall(call: ToolCallDelta, model: string) {
    if (!this.started) this.start(model);
    const fn = { ...(call.name !== undefined && { name: call.name }), arguments: call.arguments };
    const toolCall = { index: call.index, ...(call.id !== undefined && { id: call.id, type: "function" }), function: fn };
    this.send({ choices: [{ index: 0, delta: { tool_calls: [toolCall] }, finish_reason: null }] }, model);
  }

  finish(result: ChatResult, includeUsage: boolean) {
    if (!this.started) this.start(result.modelName);
    this.send({ choices: [{ index: 0, delta: {}, finish_reason: result.finishReason }] }, result.modelName);
    if (includeUsage) this.send({ choices: [], usage: usage(result) }, result.modelName);
    this.end();
  }

  fail(err: Error) {
    const message = err instanceof HttpError ? err.message : "internal server error";
    if (!(err instanceof HttpError)) this.request.log.error({ err }, "stream failed");
    this.sse.send(err instanceof HttpError ? openAiError(err.statusCode, err.code, message, err.details) : openAiError(500, "internal_error", message));
    this.end();
  }

  end() {
    if (this.started) this.sse.end();
  }

  private start(model: string) {
    this.sse.start();
    this.send({ choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] }, model);
  }

  private send(payload: Record<string, unknown>, model: string) {
    this.sse.send({ id: this.id, object: "chat.completion.chunk", created: this.created, model, ...payload });
  }
}
