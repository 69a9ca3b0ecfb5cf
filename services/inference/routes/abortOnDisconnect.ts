import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * An AbortSignal that fires when the client goes away before the response
 * is finished, so a queued request leaves the queue and a running
 * generation stops and frees its sequence.
 */
export function abortOnDisconnect(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on("close", () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  request.raw.on("aborted", () => controller.abort());
  return controller.signal;
}
