import type { Logger } from "pino";
import type { Variant } from "../cache/SemanticCache.js";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import type { PrepareInput } from "../pipeline/PreparedQuery.js";
import type { HealthProbeResult } from "./createHealthProbe.js";
import { selectLlmBackend, type BackendDecision } from "./selectLlmBackend.js";

/**
 * Stage 6, the routing decision: gathers what `selectLlmBackend` needs (the
 * local model's health, the remote's circuit, the threshold in force, the
 * context's quality), keeps the routing gauges current, and logs the choice
 * as `llm_backend_selected`.
 */
export function decideRoute(
  rt: Pick<CoordinatorRuntime, "config" | "metrics" | "routingMetrics" | "routingConfig" | "circuit" | "remote">,
  req: { input: PrepareInput; health: HealthProbeResult; localConfidence: number; variant: Variant },
  log: Logger,
): BackendDecision {
  const { input, health, localConfidence } = req;
  rt.metrics.localHealthy.set(health.healthy ? 1 : 0);
  const circuit = rt.circuit();
  rt.metrics.remoteCircuit.set(circuit.state === "open" ? 1 : 0);
  const threshold = rt.routingConfig.current().threshold;
  const decision = selectLlmBackend({
    forceLocal: input.forceLocal,
    forceRemote: input.forceRemote,
    preferLocal: input.preferLocal,
    retrievalDisabled: !input.retrieval,
    local: {
      healthy: health.healthy,
      loading: health.loading,
      downloading: health.downloading,
      queueDepth: health.queueDepth ?? 0,
      queueLimit: health.queueLimit ?? Number.MAX_SAFE_INTEGER,
      // A fact of the loaded model (/status capabilities); localStructuredOutput=false overrides it.
      structuredOutput: (health.structuredOutput ?? true) && rt.config.localStructuredOutput,
      ...(health.functionCalling !== undefined && { functionCalling: health.functionCalling }),
    },
    remote: { configured: rt.remote !== undefined, circuit: circuit.state },
    structuredOutputRequested: input.structuredOutput,
    toolsRequested: input.toolsRequested === true,
    localConfidenceScore: localConfidence,
    threshold,
  });
  rt.routingMetrics.recordDecision(decision);
  log.info(
    {
      event: "llm_backend_selected",
      backend: decision.backend,
      reason: decision.reason,
      local_confidence_score: Math.round(localConfidence * 1000) / 1000,
      threshold,
      action: decision.action,
      ...(decision.fallback_reason && { fallback_reason: decision.fallback_reason }),
      ...(decision.routing_override && { routing_override: decision.routing_override }),
      ...(!health.healthy && { local_error: health.error }),
      variant: req.variant,
    },
    "llm_backend_selected",
  );
  return decision;
}
