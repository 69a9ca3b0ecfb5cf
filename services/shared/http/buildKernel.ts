import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from "fastify";
import type { IncomingMessage as Req, ServerResponse } from "node:http";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Logger } from "pino";
import { installAccess, type AccessOptions } from "../access/installAccess.js";
import { createMetrics, type ServiceMetrics } from "../metrics/createMetrics.js";
import { errorHandler } from "./errorHandler.js";
import { isOpenAiRoute, openAiError } from "./openAiError.js";
import { runWithRequestId } from "./requestContext.js";

export interface ReadinessCheck {
  ok: boolean;
  /** `degraded` checks don't make the service unready but are reported. */
  degraded?: boolean;
  detail?: string;
}

export type ReadinessProbe = () => Promise<Record<string, ReadinessCheck>> | Record<string, ReadinessCheck>;

export interface KernelOptions {
  service: string;
  logger: Logger;
  metrics?: ServiceMetrics;
  readiness?: ReadinessProbe;
  /** Largest accepted request body in bytes. */
  bodyLimit?: number;
  /** API keys and scopes, rate limits and the audit trail (shared/access): the service's access table and settings. */
  access?: AccessOptions;
}

export type KernelApp = FastifyInstance<RawServerDefault, Req, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

declare module "fastify" {
  interface FastifyInstance {
    metrics: ServiceMetrics;
  }
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The HTTP kernel every service builds on: request ids, zod validation,
 * the error handler, `/health`, `/ready`, `/metrics` and per-route timing.
 */
export function buildKernel(opts: KernelOptions): KernelApp {
  const metrics = opts.metrics ?? createMetrics(opts.service);
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: "request_id" }),
    genReqId: (req: IncomingMessage) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && requestIdPattern.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>() as KernelApp;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  // Fastify's own 404 answer, except under /v1/, where OpenAI clients read OpenAI's error shape.
  app.setNotFoundHandler((request, reply) => {
    const message = `Route ${request.method}:${request.url} not found`;
    if (isOpenAiRoute(request.url)) return reply.code(404).send(openAiError(404, "not_found", message));
    return reply.code(404).send({ message, error: "Not Found", statusCode: 404 });
  });
  app.decorate("metrics", metrics);

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  // After the request id (a refusal carries it too), before anything reads the body.
  if (opts.access) installAccess(app, { ...opts.access, service: opts.service, logger: opts.logger, registry: metrics.registry });
  // The handler (and every service call it makes) runs as part of this
  // request, so service clients pass its id on. preHandler is the last hook
  // before the handler, after the body is read, so the context reaches it.
  app.addHook("preHandler", (request, _reply, done) => runWithRequestId(request.id, done));
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.httpDuration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  // Graceful drain: in-flight responses (streams included) run to the end,
  // then every remaining connection is closed. Node itself only reaps the
  // connections idle at the moment close() starts, so a keep-alive socket
  // could otherwise hold shutdown open until the client lets go of it.
  const inFlight = new Set<ServerResponse>();
  app.addHook("onRequest", async (_request, reply) => {
    const res = reply.raw;
    inFlight.add(res);
    res.once("close", () => inFlight.delete(res));
  });
  app.addHook("preClose", async () => {
    const timer = setInterval(() => {
      app.server.closeIdleConnections();
      if (inFlight.size === 0) app.server.closeAllConnections();
    }, 25);
    app.server.once("close", () => clearInterval(timer));
  });

  app.get("/health", async () => ({ status: "ok", service: opts.service, uptime_s: Math.round(process.uptime()) }));

  app.get("/ready", async (_request, reply) => {
    const checks = opts.readiness ? await opts.readiness() : {};
    const ready = Object.values(checks).every((c) => c.ok || c.degraded);
    const degraded = Object.values(checks).some((c) => c.degraded && !c.ok);
    return reply.code(ready ? 200 : 503).send({ ready, degraded, checks });
  });

  app.get("/metrics", async (_request, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return app;
}
