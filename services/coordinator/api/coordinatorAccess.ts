import type { AccessTable, RoutePolicy } from "../../shared/access/RoutePolicy.js";

/** The command-center page and what it reads: operator-only, open to loopback by default (`openOnLoopback`). */
const dashboard: RoutePolicy = { scope: "admin", tier: "low", loopback: "dashboard" };

/** Who may call each coordinator route and at which risk tier (the kernel adds /health, /ready and /metrics). */
export const coordinatorAccess: AccessTable = {
  "POST /query": { scope: "query", tier: "medium" },
  "POST /v1/chat/completions": { scope: "query", tier: "medium" },
  "GET /v1/models": { scope: "query", tier: "low" },
  "GET /v1/models/*": { scope: "query", tier: "low" },
  "POST /v1/embeddings": { scope: "query", tier: "medium" },
  "GET /status": { scope: "query", tier: "low" },
  "POST /feedback/:interaction_id": { scope: "query", tier: "low" },
  "GET /gaps": { scope: "query", tier: "low" },
  // The learning loop: reading proposals is an operator's business; deciding changes routing.
  "GET /proposals": { scope: "admin", tier: "low" },
  "GET /proposals/:id": { scope: "admin", tier: "low" },
  "POST /proposals/:id/approve": { scope: "admin", tier: "high" },
  "POST /proposals/:id/reject": { scope: "admin", tier: "high" },
  // The weekly job only records proposals (it applies them only where the operator set learningAutoApply).
  "POST /learning/run": { scope: "ingest", tier: "medium" },
  "GET /learning/summary": dashboard,
  "GET /dashboard": dashboard,
  "GET /dashboard/": dashboard,
  "GET /dashboard/app.js": dashboard,
  "GET /dashboard/app.css": dashboard,
  "GET /dashboard/favicon.svg": dashboard,
  "GET /config/env": dashboard,
  "GET /api/health/aggregate": dashboard,
  "GET /api/health/probe": dashboard,
  "GET /logs/recent": dashboard,
  "GET /api/internals": dashboard,
};
