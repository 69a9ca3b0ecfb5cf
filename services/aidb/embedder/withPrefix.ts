import type { Embedder } from "./Embedder.js";

/**
 * The embedder for one side of retrieval: `prefix` goes before every text it
 * embeds (nomic-embed-text wants `search_query: ` before a query and
 * `search_document: ` before a document; lib/models.json `prefixes`).
 * Tokens are counted with the prefix, so chunks and cut queries leave room
 * for it. A document prefix is part of the fingerprint stored with each chunk
 * (chunks embedded without it count as another model's). No prefix: the
 * embedder itself.
 */
export function withPrefix(inner: Embedder, prefix: string | undefined, side: "query" | "document"): Embedder {
  if (!prefix) return inner;
  return {
    ...inner,
    fingerprint: side === "document" ? { ...inner.fingerprint, documentPrefix: prefix } : inner.fingerprint,
    countTokens: (text) => inner.countTokens(prefix + text),
    embed: (texts) => inner.embed(texts.map((t) => prefix + t)),
    check: () => inner.check(),
    close: () => inner.close(),
  };
}
