import { HttpError } from "../../shared/http/HttpError.js";
import { ServiceError } from "../../shared/http/ServiceError.js";
import type { ChatBackend, ChatCompletion, ChatStream } from "../clients/createChatBackend.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { estimateTokens } from "./estimateTokens.js";
import type { ReadyQuery } from "./PreparedQuery.js";
import { truncateToTokens } from "./truncateToTokens.js";

export type FallbackReason = "remote_failed" | "remote_circuit_open" | "local_failed";

export interface Generated<T> {
  result: T;
  backend: "local" | "remote";
  /** Set when generation moved to the other backend after the selected one failed. */
  fallback?: { reason: FallbackReason; error: string };
}

/** A remote failure that says nothing about the remote's health: our request was refused. */
const isRequestError = (err: ServiceError) => err.kind === "http" && err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429;

/** Failures of the local service after which the remote may take over. */
const localUnavailable = (err: ServiceError) =>
  err.kind === "unreachable" || err.kind === "timeout" || (err.kind === "http" && (err.status === undefined || err.status >= 500 || err.status === 429));

/** Maps the final failure to the client's answer. */
export function toHttpError(err: unknown): unknown {
  if (!(err instanceof ServiceError)) return err;
  if (err.kind === "aborted") return err;
  if (err.kind === "http" && err.status === 503) {
    return new HttpError(503, err.code ?? "backend_unavailable", err.message, {}, { "retry-after": "1" });
  }
  if (err.kind === "http" && err.status !== undefined && err.status >= 400 && err.status < 500) {
    // The backend refused our request: the client learns which of its fields, when the backend said.
    const inner = (err.body?.error ?? {}) as { param?: unknown };
    const details = { ...(err.fields.length > 0 && { fields: err.fields }), ...(typeof inner.param === "string" && { param: inner.param }) };
    return new HttpError(err.status === 401 || err.status === 403 ? 502 : err.status, err.code ?? "backend_refused", err.message, details);
  }
  if (err.kind === "timeout") return new HttpError(504, "backend_timeout", err.message);
  return new HttpError(502, "backend_unavailable", err.message);
}

/**
 * Runs `attempt` on the selected backend and, when that backend fails in a
 * way the other can cover, once on the other one. Remote outcomes feed the
 * circuit breaker; latencies feed the per-backend histogram and p95.
 */
async function withFallback<T>(
  rt: CoordinatorRuntime,
  prepared: ReadyQuery,
  attempt: (backend: ChatBackend) => Promise<T>,
  signal?: AbortSignal,
  /** Called with the result when a streamed attempt is accepted; latency is then observed by the caller. */
  observe = true,
): Promise<Generated<T>> {
  const decision = prepared.decision;
  const circuit = rt.circuit();
  const run = async (name: "local" | "remote"): Promise<T> => {
    const backend = name === "local" ? rt.local : rt.remote!;
    const t0 = performance.now();
    try {
      const result = await attempt(backend);
      if (observe) rt.routingMetrics.observeLatency(name, (performance.now() - t0) / 1000);
      if (name === "remote") {
        circuit.recordSuccess();
        rt.remoteLastOk = true;
      }
      return result;
    } catch (err) {
      const e = err instanceof ServiceError ? err : new ServiceError(name, "invalid_response", (err as Error).message);
      if (e.kind === "aborted" || signal?.aborted) throw err;
      rt.metrics.backendErrors.inc({ backend: name, kind: e.kind === "http" ? `http_${e.status}` : e.kind });
      if (name === "remote" && !isRequestError(e)) {
        circuit.recordFailure();
        rt.remoteLastOk = false;
        rt.metrics.remoteCircuit.set(circuit.state === "open" ? 1 : 0);
      }
      throw e;
    }
  };

  if (decision.backend === "remote") {
    if (!circuit.allowRequest()) {
      prepared.log.warn({ event: "generation_fallback", from: "remote", to: "local", reason: "remote_circuit_open" }, "remote circuit opened since selection; using local");
      rt.metrics.fallbacks.inc({ from: "remote", to: "local", reason: "remote_circuit_open" });
      return { result: await run("local"), backend: "local", fallback: { reason: "remote_circuit_open", error: "circuit open" } };
    }
    try {
      return { result: await run("remote"), backend: "remote" };
    } catch (err) {
      if (!(err instanceof ServiceError) || err.kind === "aborted" || isRequestError(err)) throw err;
      prepared.log.warn({ event: "generation_fallback", from: "remote", to: "local", reason: "remote_failed", error: err.message }, "remote failed; answering locally");
      rt.metrics.fallbacks.inc({ from: "remote", to: "local", reason: "remote_failed" });
      return { result: await run("local"), backend: "local", fallback: { reason: "remote_failed", error: err.message } };
    }
  }
  try {
    return { result: await run("local"), backend: "local" };
  } catch (err) {
    const canFallBack =
      err instanceof ServiceError && localUnavailable(err) && rt.remote !== undefined && !decision.reason.startsWith("force_local") && circuit.allowRequest();
    if (!canFallBack) throw err;
    prepared.log.warn({ event: "generation_fallback", from: "local", to: "remote", reason: "local_failed", error: (err as Error).message }, "local failed; answering remotely");
    rt.metrics.fallbacks.inc({ from: "local", to: "remote", reason: "local_failed" });
    return { result: await run("remote"), backend: "remote", fallback: { reason: "local_failed", error: (err as Error).message } };
  }
}

const isContextOverflow = (err: unknown) => err instanceof ServiceError && err.status === 400 && err.code === "context_length_exceeded";

/**
 * Runs `run` with the body built from the prepared context; when the backend
 * refuses the prompt as longer than its context (our token estimate was
 * short for its tokenizer), halves the retrieved context and tries again,
 * up to three times. The response's `context` then shows the smaller
 * context. Without retrieved passages the refusal stands (a 400).
 */
async function fitContext<T>(p: ReadyQuery, build: () => Record<string, unknown>, run: (body: Record<string, unknown>) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run(build());
    } catch (err) {
      if (!isContextOverflow(err) || p.passages.length === 0 || attempt >= 3) throw err;
      const before = p.context.tokens_after;
      if (p.passages.length > 1) p.passages = p.passages.slice(0, Math.ceil(p.passages.length / 2));
      else {
        const only = p.passages[0]!;
        const text = truncateToTokens(only.text, Math.floor(estimateTokens(only.text) / 2), estimateTokens);
        p.passages = text ? [{ ...only, text }] : [];
      }
      const kept = new Set(p.passages.map((x) => x.document_id));
      p.context.sources = p.context.sources.filter((x) => kept.has(x.document_id));
      p.context.tokens_after = p.passages.reduce((n, x) => n + estimateTokens(x.text), 0);
      p.context.compressed = true;
      p.log.warn(
        { event: "context_trimmed_for_model", tokens_before: before, tokens_after: p.context.tokens_after, error: (err as Error).message },
        "the model refused the prompt as too long for its context; retrying with half the retrieved context",
      );
    }
  }
}

/** A complete (non-streamed) answer, with fallback. */
export function completeWithFallback(rt: CoordinatorRuntime, prepared: ReadyQuery, build: () => Record<string, unknown>, signal?: AbortSignal): Promise<Generated<ChatCompletion>> {
  return withFallback(rt, prepared, (b) => fitContext(prepared, build, (body) => b.complete(body, signal)), signal);
}

/** A streamed answer: falls back only before the first token (a refusal or an unreachable backend). */
export function streamWithFallback(rt: CoordinatorRuntime, prepared: ReadyQuery, build: () => Record<string, unknown>, signal?: AbortSignal): Promise<Generated<ChatStream>> {
  return withFallback(rt, prepared, (b) => fitContext(prepared, build, (body) => b.stream(body, signal)), signal, false);
}
