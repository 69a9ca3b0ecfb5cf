import type { AccessTable } from "../../shared/access/RoutePolicy.js";

/** Documents in a POST /documents body: one document, or `{documents: [...]}`. */
export function countIngestDocuments(body: unknown): number {
  const documents = (body as { documents?: unknown } | null)?.documents;
  return Array.isArray(documents) ? documents.length : body && typeof body === "object" ? 1 : 0;
}

/**
 * Who may call each aidb route and at which risk tier (the kernel adds
 * /health, /ready and /metrics). The coordinator reaches /search and
 * /interactions/* with the stack's internal key (query and ingest scopes).
 */
export const aidbAccess: AccessTable = {
  "GET /status": { scope: "query", tier: "low" },
  "POST /documents": { scope: "ingest", tier: "medium", ingestDocuments: countIngestDocuments },
  "GET /documents": { scope: "query", tier: "low" },
  "GET /documents/:id": { scope: "query", tier: "low" },
  "DELETE /documents/:id": { scope: "admin", tier: "high" },
  "POST /documents/:id/feedback": { scope: "query", tier: "low" },
  "GET /search": { scope: "query", tier: "low" },
  "GET /rag/fusion/weights": { scope: "query", tier: "low" },
  "PUT /rag/fusion/weights": { scope: "admin", tier: "high" },
  "POST /gc": { scope: "admin", tier: "high" },
  "POST /interactions/batch": { scope: "ingest", tier: "low" },
  "GET /interactions/gaps": { scope: "query", tier: "low" },
  "GET /interactions/ping": { scope: "query", tier: "low" },
  "GET /interactions/:id": { scope: "query", tier: "low" },
  "POST /interactions/:id/feedback": { scope: "query", tier: "low" },
};
