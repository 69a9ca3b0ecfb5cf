/** A keys file that cannot be used: unreadable, or a line that is not `NAME SCOPES sha256:HASH` (named by its number). */
export class KeysFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeysFileError";
  }
}
