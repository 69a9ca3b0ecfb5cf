import { Writable } from "node:stream";
import type { DestinationStream, Logger } from "pino";
import { createLogger } from "../../services/shared/logging/createLogger.js";

/** A real pino logger whose JSON lines are kept for assertions (and also written to `tee`, e.g. a log ring). */
export function captureLogger(name = "test", opts: { tee?: DestinationStream[] } = {}): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ name, level: "debug", destination: destination as never, tee: opts.tee });
  const text = () => chunks.join("");
  return {
    logger,
    text,
    lines: () =>
      text()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
