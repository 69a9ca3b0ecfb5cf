import { z } from "zod";

// The coordinator's GET /status: its backends, the routing threshold in
// force and its dependencies, with what is degraded and why. Objects are
// loose: readers (aq status, the dashboard) take the fields named here.

export const localBackendStatusSchema = z.looseObject({
  url: z.string(),
  healthy: z.boolean(),
  loading: z.boolean(),
  /** Its model is still being downloaded (first boot): queries go to the remote, or get 503. */
  downloading: z.boolean().optional(),
  /** Of the download while downloading, of the load while loading. */
  load_progress_pct: z.number().min(0).max(100).optional(),
  /** p95 of answers in milliseconds; null before the first. */
  p95_ms: z.number().nullable(),
  queue_depth: z.number().int(),
  queue_limit: z.number().int().optional(),
  /** Why the probe counts it unhealthy. */
  error: z.string().optional(),
});

export const remoteBackendStatusSchema = z.looseObject({
  configured: z.boolean(),
  url: z.string().optional(),
  healthy: z.boolean(),
  circuit: z.enum(["closed", "open", "half_open"]),
  failures_to_open: z.number().int(),
  cooldown_ms: z.number(),
  p95_ms: z.number().nullable(),
});

/**
 * Each dependency: configured (or enabled) or not, ok (or healthy) or down,
 * and why (`error`, `reason`). A reader that shows them all takes these
 * fields of every entry.
 */
export const dependenciesStatusSchema = z.looseObject({
  aidb: z.looseObject({ url: z.string(), ok: z.boolean(), error: z.string().optional() }),
  // Not loose: SemanticCacheStatus is an interface, which a loose object's
  // index signature does not admit; these are all of its fields.
  semantic_cache: z.object({ enabled: z.boolean(), healthy: z.boolean(), reason: z.string().optional() }),
  database: z.looseObject({ ok: z.boolean(), error: z.string().optional() }).optional(),
  reranker: z.looseObject({ configured: z.boolean(), ok: z.boolean().optional(), error: z.string().optional() }),
});

export const statusResponseSchema = z.looseObject({
  /** The local model is loading. */
  loading: z.boolean(),
  /** A backend can answer: the local model, or a remote whose circuit is not open. */
  healthy: z.boolean(),
  queue_depth: z.number().int(),
  /** The routing threshold in force (routing-config.json). */
  threshold: z.number(),
  backends: z.looseObject({ local: localBackendStatusSchema, remote: remoteBackendStatusSchema }),
  dependencies: dependenciesStatusSchema,
  degraded: z.array(z.object({ dependency: z.string(), reason: z.string() })),
  settings: z.record(z.string(), z.unknown()),
});

export type StatusResponse = z.infer<typeof statusResponseSchema>;
