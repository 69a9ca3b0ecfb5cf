import { ServiceError } from "../shared/http/ServiceError.js";

/**
 * What a command prints for a failed call. An error answer is the service's
 * own message, then each field at fault that the message does not already
 * say: `query: at most 4000 characters (body.query: ...)`. An answer that is
 * not JSON, and every other failure (unreachable, timeout, wrong shape), is
 * the error's message, which names the service and its URL.
 */
export function describeServiceError(err: unknown): string {
  if (!(err instanceof ServiceError) || err.kind !== "http") return err instanceof Error ? err.message : String(err);
  if (!err.body) return err.message;
  const said = err.body.message;
  const message = typeof said === "string" && said ? said : `HTTP ${err.status}`;
  const extra = err.fields.map((f) => `${f.path}: ${f.message}`).filter((line) => !message.includes(line));
  return extra.length ? `${message} (${extra.join("; ")})` : message;
}
