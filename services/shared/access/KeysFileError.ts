import { UsageError } from "../UsageError.js";

/** A keys file that cannot be used: unreadable, or a line that is not `NAME SCOPES sha256:HASH` (named by its number). At start-up it is a configuration error (exit 2). */
export class KeysFileError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = "KeysFileError";
  }
}
