import type { FastifyInstance } from "fastify";

export interface RunServerOptions {
  host: string;
  port: number;
  /** How long shutdown waits for in-flight requests and streams. */
  shutdownTimeoutMs?: number;
  /** Runs after the HTTP server has closed (free models, DB pools...). */
  onShutdown?: () => Promise<void>;
}

/**
 * Owns the process: listens, logs the bound address (port 0 picks a free
 * one), and on SIGTERM/SIGINT stops accepting, drains in-flight requests and
 * streams, then exits. A second signal, or the timeout, forces the exit.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function runServer(app: FastifyInstance<any, any, any, any, any>, opts: RunServerOptions): Promise<void> {
  const address = await app.listen({ host: opts.host, port: opts.port });
  const port = (app.server.address() as { port: number }).port;
  app.log.info({ event: "listening", address, port }, `listening on ${address}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      app.log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    const timeoutMs = opts.shutdownTimeoutMs ?? 30_000;
    app.log.info({ event: "shutdown", signal, timeout_ms: timeoutMs }, "draining in-flight requests");
    const timer = setTimeout(() => {
      app.log.error({ event: "shutdown_timeout" }, "drain timed out; exiting");
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    try {
      await app.close();
      await opts.onShutdown?.();
      app.log.info({ event: "stopped" }, "stopped");
      (app.log as { flush?: () => void }).flush?.();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, "error during shutdown");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}
