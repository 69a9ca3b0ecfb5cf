import { ServiceError } from "../http/ServiceError.js";

/** Node and PostgreSQL error codes that mean "the dependency is unavailable right now", not "this input is bad". */
const transientCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  "40001", // serialization_failure
  "40P01", // deadlock_detected
]);

/**
 * Whether a failure is worth retrying: a service that is unreachable, timed
 * out, overloaded (429) or failing (5xx), a dropped or refused database
 * connection, a PostgreSQL connection exception (class 08) or a
 * serialization failure. A refusal of the input itself (4xx, a constraint,
 * bad SQL) is not: trying again would fail the same way.
 */
export function isTransientError(err: unknown): boolean {
  if (err instanceof ServiceError) {
    if (err.kind === "unreachable" || err.kind === "timeout") return true;
    if (err.kind === "http") return err.status === undefined || err.status === 429 || err.status >= 500;
    return false;
  }
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  const code = typeof e.code === "string" ? e.code : undefined;
  if (code && (transientCodes.has(code) || code.startsWith("08"))) return true;
  const message = typeof e.message === "string" ? e.message : "";
  if (/connection (terminated|closed|refused|reset)|Connection terminated|server closed the connection|client has encountered a connection error/i.test(message)) return true;
  return e.cause !== undefined && e.cause !== err ? isTransientError(e.cause) : false;
}
