import { UsageError } from "../../shared/UsageError.js";

/** The database holds embeddings of another size than the embedder makes. */
export class EmbeddingMismatchError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = "EmbeddingMismatchError";
  }
}
