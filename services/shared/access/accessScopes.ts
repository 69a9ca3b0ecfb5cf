/** What a key may do: `query` (ask, search, read), `ingest` (add documents), `admin` (reload, gc, delete, weights, the dashboard). */
export const scopes = ["query", "ingest", "admin"] as const;
export type Scope = (typeof scopes)[number];

/** How much harm a call can do, which sets its rate limit: high (reload, gc, delete, weights), medium (query, chat, ingest), low (status, search, models). */
export const riskTiers = ["high", "medium", "low"] as const;
export type RiskTier = (typeof riskTiers)[number];

/** Read-only routes that may be opened to loopback callers without a key (`openOnLoopback`). */
export const loopbackGroups = ["ready", "metrics", "dashboard"] as const;
export type LoopbackGroup = (typeof loopbackGroups)[number];
