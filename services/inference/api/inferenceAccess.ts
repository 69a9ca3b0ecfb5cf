import type { AccessTable } from "../../shared/access/RoutePolicy.js";

/**
 * Who may call each inference route and at which risk tier (the kernel adds
 * /health, /ready and /metrics). The coordinator and aidb call these with the
 * stack's internal key, which has the query and ingest scopes.
 */
export const inferenceAccess: AccessTable = {
  "GET /status": { scope: "query", tier: "low" },
  "GET /v1/models": { scope: "query", tier: "low" },
  "POST /v1/chat/completions": { scope: "query", tier: "medium" },
  "POST /v1/embeddings": { scope: "query", tier: "medium" },
  "POST /v1/rerank": { scope: "query", tier: "medium" },
  "POST /reload-model": { scope: "admin", tier: "high" },
};
