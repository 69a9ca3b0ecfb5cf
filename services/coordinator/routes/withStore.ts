import { HttpError } from "../../shared/http/HttpError.js";
import { ServiceError } from "../../shared/http/ServiceError.js";

/** Runs a store call; a store that cannot be reached is a 503 that says where the data lives. */
export async function withStore<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ServiceError) {
      throw new HttpError(503, "store_unavailable", `interactions, feedback and gaps are kept in the knowledge store's database, which is unavailable: ${err.message}`, {}, { "retry-after": "5" });
    }
    throw err;
  }
}
