import type { AccessTable } from "../../shared/access/RoutePolicy.js";

/** Documents in a POST /documents body: one document, or `{documents: [...]}`. */
export function countIngestDocuments(body: unknown): number {
  const documents = (body as { documents?: unknown } | null)?.documents;
  return Array.isArray(documents) ? documents.length : body && typeof body === "object" ? 1 : 0;
}

/** Documents in a POST /ingest/jobs body. */
export function countJobItems(body: unknown): number {
  const items = (body as { items?: unknown } | null)?.items;
  return Array.isArray(items) ? items.length : 0;
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
  // Resumable ingestion, the dead-letter queue and knowledge-source state (aq sources sync, aq dlq).
  "POST /ingest/jobs": { scope: "ingest", tier: "medium", ingestDocuments: countJobItems },
  "GET /ingest/jobs": { scope: "query", tier: "low" },
  "GET /ingest/jobs/:id": { scope: "query", tier: "low" },
  "GET /dlq": { scope: "query", tier: "low" },
  "POST /dlq/retry": { scope: "ingest", tier: "medium" },
  "POST /dlq/drop": { scope: "admin", tier: "high" },
  "GET /sources/:id/items": { scope: "query", tier: "low" },
  "POST /sources/:id/items/delete": { scope: "ingest", tier: "medium" },
  // The learning loop's record, written by the coordinator (internal key) and aq eval.
  "POST /learning/proposals": { scope: "ingest", tier: "low" },
  "GET /learning/proposals": { scope: "query", tier: "low" },
  "GET /learning/proposals/:id": { scope: "query", tier: "low" },
  "POST /learning/proposals/:id/decision": { scope: "ingest", tier: "medium" },
  "GET /learning/ratings": { scope: "query", tier: "low" },
  "GET /learning/threshold-history": { scope: "query", tier: "low" },
  "POST /eval/runs": { scope: "ingest", tier: "low" },
  "GET /eval/runs": { scope: "query", tier: "low" },
};
