import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * An AbortSignal that fires when the client goes away before the response
 * is finished, so a queued request leaves the queue and a running
 * generation stops and frees its sequence.
 */
export function abortOnDisconnect(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const gone = () => {
    controller.abort();
    // Nothing more will be read from or written to this client; drop the
    // socket so shutdown doesn't wait on it.
    request.raw.socket?.destroy();
  };
  reply.raw.on("close", () => {
    if (!reply.raw.writableFinished) gone();
  });
  request.raw.on("aborted", gone);
  return controller.signal;
}
