import { HttpError } from "../shared/http/HttpError.js";

/** The wait queue is at its limit: 503 with Retry-After. */
export class QueueFullError extends HttpError {
  constructor(queueLimit: number, retryAfterSeconds: number) {
    super(
      503,
      "queue_full",
      `all sequences are busy and ${queueLimit} requests are already waiting; retry later`,
      { queue_limit: queueLimit },
      { "retry-after": String(retryAfterSeconds) },
    );
  }
}
