/** The embedding backend failed (unreachable, refused, or gave a malformed answer). */
export class EmbedderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EmbedderError";
  }
}
