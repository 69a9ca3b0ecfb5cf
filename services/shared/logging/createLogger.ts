import { pino, type Logger, type DestinationStream } from "pino";

/** Paths whose values never reach a log line. */
export const redactPaths = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
  "headers.authorization",
  'headers["x-api-key"]',
  "authorization",
  "apiKey",
  "api_key",
  "password",
  "token",
  "*.apiKey",
  "*.api_key",
  "*.password",
  "*.token",
  "*.authorization",
  "*.secret",
];

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Where JSON lines go; stdout (journald) by default. */
  destination?: DestinationStream;
  /**
   * Further destinations that receive the same JSON lines (e.g. the
   * coordinator's in-memory ring of recent lines), at every level the
   * logger emits. The main destination's output is unchanged.
   */
  tee?: DestinationStream[];
}

/** pino JSON logs with secrets redacted; one logger per service process. */
export function createLogger(opts: LoggerOptions): Logger {
  const destination = opts.destination ?? pino.destination({ dest: 1, sync: false });
  // Stream level "trace": the logger's own (changeable) level is the only filter.
  // logger.flush() (runServer, before exit) still flushes the main destination through the tee.
  const stream = opts.tee?.length
    ? Object.assign(pino.multistream([destination, ...opts.tee].map((s) => ({ level: "trace" as const, stream: s }))), {
        flush(cb: (err?: Error) => void) {
          const d = destination as { flush?: (cb: (err?: Error) => void) => void };
          if (typeof d.flush === "function") d.flush(cb);
          else cb();
        },
      })
    : destination;
  return pino(
    {
      name: opts.name,
      level: opts.level ?? "info",
      redact: { paths: redactPaths, censor: "[REDACTED]" },
      base: { service: opts.name, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}
