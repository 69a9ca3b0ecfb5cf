import { ServiceError } from "../../shared/http/ServiceError.js";

/** A failed call as one line: the service's own message and code, or the error's message. */
export function describeError(err: unknown): string {
  if (err instanceof ServiceError) return err.code ? `${err.message} (${err.code})` : err.message;
  return err instanceof Error ? err.message : String(err);
}
