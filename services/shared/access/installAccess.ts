import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { createHash } from "node:crypto";
import { HttpError } from "../http/HttpError.js";
import { createAuditClient } from "../audit/createAuditClient.js";
import type { AuditEvent } from "../audit/auditRecordSchema.js";
import { canonicalJson } from "../audit/canonicalJson.js";
import { rateLimitsOf, type AccessSettings } from "./accessConfigShape.js";
import { createAccessMetrics } from "./createAccessMetrics.js";
import { createKeyStore, type Principal } from "./createKeyStore.js";
import { createRateLimiter, type RateDecision, type RateLimiter } from "./createRateLimiter.js";
import { isLoopbackAddress } from "./isLoopbackAddress.js";
import { kernelAccess, type AccessTable, type RoutePolicy } from "./RoutePolicy.js";

export interface AccessOptions {
  /** The service's routes (its api/ folder's access table); the kernel's own are added. */
  table: AccessTable;
  settings: AccessSettings;
  /** Redis shared by the services' rate limits; without it, limits are per process. */
  redisUrl?: string;
}

interface RequestAccess {
  policy: RoutePolicy;
  principal?: Principal;
  /** An admin-scope or high-risk call that was not let in as a loopback exemption: its outcome is audited. */
  audited: boolean;
}

declare module "fastify" {
  interface FastifyRequest {
    access?: RequestAccess;
  }
}

/** A 404 still needs a key (no probing without one), at the low tier. */
const unmatchedPolicy: RoutePolicy = { scope: "any", tier: "low" };
/** A route missing from its service's table is treated as the most dangerous kind. */
const unmappedPolicy: RoutePolicy = { scope: "admin", tier: "high" };

const tierWords = { high: "high-risk", medium: "medium-risk", low: "low-risk" } as const;

function presentedKey(request: FastifyRequest): { key?: string; malformed?: string } {
  const auth = request.headers.authorization;
  if (typeof auth === "string" && auth.trim() !== "") {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? { key: m[1] } : { malformed: "the Authorization header must be `Bearer KEY`" };
  }
  const x = request.headers["x-api-key"];
  if (typeof x === "string" && x.trim() !== "") return { key: x.trim() };
  return {};
}

/**
 * The access layer of every service, in the kernel: API keys and scopes
 * (401/403), per-key rate limits by risk tier (429 with Retry-After), and an
 * audit record of every admin-scope and high-risk call. Keys are enforced
 * when `apiKeysFile` or `internalKeyFile` is set; rate limits apply to keys
 * from the file (never to the internal key, nor when keys are not
 * enforced); audit records are written either way.
 */
export function installAccess(app: FastifyInstance, opts: AccessOptions & { service: string; logger: Logger; registry: Registry }): void {
  const { settings, logger, service } = opts;
  const table: AccessTable = { ...kernelAccess, ...opts.table };
  const metrics = createAccessMetrics(opts.registry);
  const keys = createKeyStore({ apiKeysFile: settings.apiKeysFile, internalKeyFile: settings.internalKeyFile, logger });
  const limiterReady: Promise<RateLimiter> | undefined =
    keys && settings.rateLimitsEnabled
      ? createRateLimiter({ limits: rateLimitsOf(settings), redisUrl: opts.redisUrl, logger, onFallback: () => metrics.rateLimitFallback.inc() })
      : undefined;
  const audit = settings.auditSocket ? createAuditClient({ socket: settings.auditSocket }) : undefined;
  const inFlightAudits = new Set<Promise<unknown>>();
  const warnedUnmapped = new Set<string>();

  // Every route registered after this point (all of the service's) is checked against the table when the app is ready.
  const registered: string[] = [];
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) if (method !== "HEAD") registered.push(`${method} ${route.url}`);
  });
  app.addHook("onReady", async () => {
    const missing = registered.filter((r) => !table[r]);
    if (missing.length) {
      logger.warn({ event: "access_routes_unmapped", routes: missing }, "routes missing from the service's access table need the admin scope and count as high risk");
    }
  });

  const policyOf = (request: FastifyRequest): RoutePolicy => {
    const url = request.routeOptions.url;
    if (!url) return unmatchedPolicy;
    const method = request.method === "HEAD" ? "GET" : request.method;
    const policy = table[`${method} ${url}`];
    if (policy) return policy;
    if (!warnedUnmapped.has(`${method} ${url}`)) {
      warnedUnmapped.add(`${method} ${url}`);
      logger.warn({ event: "access_route_unmapped", method, route: url }, "a route is missing from the service's access table: it needs the admin scope");
    }
    return unmappedPolicy;
  };

  const deny = (request: FastifyRequest, status: 401 | 403, reason: string, message: string, details: Record<string, unknown> = {}): never => {
    metrics.authDenied.inc({ reason });
    request.log.info({ event: "access_denied", reason, route: request.routeOptions.url ?? request.url.split("?")[0], key: request.access?.principal?.name, peer: request.socket.remoteAddress }, message);
    throw new HttpError(status, reason, message, details, status === 401 ? { "www-authenticate": 'Bearer realm="ai-stack"' } : {});
  };

  const limit = (request: FastifyRequest, decision: RateDecision, what: string) => {
    if (decision.ok) return;
    const tier = request.access!.policy.tier;
    metrics.rateLimited.inc({ reason: decision.reason, tier });
    const windowS = Math.round(decision.windowMs / 100) / 10;
    request.log.info({ event: "rate_limited", reason: decision.reason, key: request.access?.principal?.name, tier, retry_after_s: decision.retryAfterS }, "rate limit");
    throw new HttpError(
      429,
      decision.reason,
      `rate limit: this key may make ${decision.limit} ${what} per ${windowS} s; retry in ${decision.retryAfterS} s`,
      { limit: decision.limit, window_s: windowS, retry_after_s: decision.retryAfterS },
      { "retry-after": String(decision.retryAfterS) },
    );
  };

  app.addHook("onRequest", async (request) => {
    const policy = policyOf(request);
    if (policy.scope === "public") return;
    const auditable = policy.scope === "admin" || policy.tier === "high";
    request.access = { policy, audited: false };
    if (!keys) {
      request.access.audited = auditable && !policy.loopback;
      return;
    }
    if (policy.loopback && settings.openOnLoopback.includes(policy.loopback) && isLoopbackAddress(request.socket.remoteAddress)) return;
    const { key, malformed } = presentedKey(request);
    if (malformed) deny(request, 401, "invalid_api_key", malformed);
    if (!key) {
      deny(request, 401, "missing_api_key", "this service needs an API key: send it as `Authorization: Bearer KEY` or `x-api-key: KEY` (`aq keys create` makes one)");
    }
    const principal = keys.verify(key!);
    if (!principal) deny(request, 401, "invalid_api_key", "the API key is not valid (unknown or revoked)");
    request.access.principal = principal;
    request.access.audited = auditable;
    if (policy.scope !== "any" && !principal!.scopes.has(policy.scope)) {
      deny(request, 403, "insufficient_scope", `the key "${principal!.name}" does not have the "${policy.scope}" scope this route needs (it has ${[...principal!.scopes].join(", ")})`, {
        required_scope: policy.scope,
      });
    }
    if (limiterReady && !principal!.internal) limit(request, await (await limiterReady).take(principal!.keyId, policy.tier), `${tierWords[policy.tier]} calls`);
  });

  app.addHook("preHandler", async (request) => {
    const a = request.access;
    if (!a?.principal || a.principal.internal || !a.policy.ingestDocuments || !limiterReady) return;
    const documents = a.policy.ingestDocuments(request.body);
    limit(request, await (await limiterReady).takeIngest(a.principal.keyId, documents), `ingested documents (this request has ${documents})`);
  });

  app.addHook("onResponse", async (request, reply) => {
    const a = request.access;
    if (!a?.audited) return;
    const status = reply.statusCode;
    const event: AuditEvent = {
      time: new Date().toISOString(),
      service,
      method: request.method,
      route: request.routeOptions.url ?? request.url.split("?")[0]!.slice(0, 512),
      key_name: a.principal?.name ?? null,
      key_id: a.principal?.keyId ?? null,
      params_sha256: createHash("sha256").update(canonicalJson({ params: request.params, query: request.query, body: request.body })).digest("hex"),
      scope: a.policy.scope,
      tier: a.policy.tier,
      status,
      outcome: status < 400 ? "ok" : [401, 403, 429].includes(status) ? "denied" : "error",
      request_id: String(request.id),
    };
    if (!audit) {
      metrics.auditRecords.inc({ result: "logged" });
      request.log.info({ event: "audit", audit: event }, "audit record (no audit writer configured)");
      return;
    }
    const sent = audit.append(event).then(
      () => metrics.auditRecords.inc({ result: "written" }),
      (err: Error) => {
        metrics.auditRecords.inc({ result: "failed" });
        logger.error({ event: "audit_write_failed", err: err.message, audit: event }, "the audit writer did not take the record; it is kept in this log");
      },
    );
    inFlightAudits.add(sent);
    void sent.finally(() => inFlightAudits.delete(sent));
  });

  app.addHook("onClose", async () => {
    await Promise.allSettled([...inFlightAudits]);
    await audit?.close();
    if (limiterReady) await (await limiterReady).close();
  });
}
