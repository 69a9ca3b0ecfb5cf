/** The client went away while its request waited or ran. */
export class RequestAbortedError extends Error {
  constructor() {
    super("request aborted by the client");
    this.name = "RequestAbortedError";
  }
}
