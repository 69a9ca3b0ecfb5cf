import type { BackendSelectionInput } from "./backendSelectionInputSchema.js";

export type { BackendSelectionInput } from "./backendSelectionInputSchema.js";

export interface BackendDecision {
  backend: "local" | "remote";
  /** `unavailable`: no backend can answer (the local model is still being downloaded and no remote can take it): 503 with Retry-After. */
  action: "generate" | "queue" | "unavailable";
  reason: string;
  local_confidence_score: number;
  threshold: number;
  fallback_reason?: "local_unhealthy" | "local_loading_queue_full" | "local_downloading";
  routing_override?: "structured_output_required" | "tool_calling_required";
}

/**
 * The one place that picks the backend. Rules, first match wins:
 * 1. force_remote / force_local (force_remote without a remote → local);
 * 1c. local model still being downloaded → remote (fallback_reason local_downloading), or,
 *     with no usable remote (or force_local), nobody: action `unavailable` (503, Retry-After);
 * 2. local unhealthy → remote (fallback_reason local_unhealthy);
 * 3. local loading → queue locally, or remote when the queue is full;
 * 4. structured output the local model cannot do → remote (routing_override);
 * 4b. tools the local model cannot call → remote (routing_override tool_calling_required);
 * 5. prefer_local, or no retrieval to judge (front door with retrieval off) → local;
 * 6. context quality ≥ threshold → local, below → remote.
 * Whenever rules 2–5 want the remote but none is configured or its circuit is
 * open, the query stays local and the reason says why; the fallback_reason /
 * routing_override that was not honoured is then left out.
 */
export function selectLlmBackend(input: BackendSelectionInput): BackendDecision {
  const base = { local_confidence_score: input.localConfidenceScore, threshold: input.threshold };
  const local = (reason: string, action: BackendDecision["action"] = "generate"): BackendDecision => ({
    backend: "local",
    action,
    reason,
    ...base,
  });
  const localAction: BackendDecision["action"] = input.local.loading ? "queue" : "generate";
  const remoteUnavailable = !input.remote.configured
    ? "remote_not_configured"
    : input.remote.circuit === "open"
      ? "remote_circuit_open"
      : undefined;
  const remote = (reason: string, extra: Pick<BackendDecision, "fallback_reason" | "routing_override"> = {}): BackendDecision =>
    remoteUnavailable ? local(remoteUnavailable, localAction) : { backend: "remote", action: "generate", reason, ...base, ...extra };

  if (input.forceRemote && !(input.local.downloading && !input.remote.configured)) {
    return input.remote.configured
      ? { backend: "remote", action: "generate", reason: "force_remote", ...base }
      : local("force_remote_but_remote_not_configured", localAction);
  }
  if (input.local.downloading) {
    // Its file is not there yet: the local model cannot answer, however long a request waits.
    if (input.forceLocal || remoteUnavailable) return { backend: "local", action: "unavailable", reason: "local_downloading", ...base };
    return { backend: "remote", action: "generate", reason: "local_downloading", fallback_reason: "local_downloading", ...base };
  }
  if (input.forceLocal) return local("force_local", localAction);
  if (!input.local.healthy) return remote("local_unhealthy", { fallback_reason: "local_unhealthy" });
  if (input.local.loading) {
    if (input.local.queueDepth < input.local.queueLimit) return local("local_loading_queued", "queue");
    return remote("local_loading_queue_full", { fallback_reason: "local_loading_queue_full" });
  }
  if (input.structuredOutputRequested && !input.local.structuredOutput) {
    return remote("structured_output_required", { routing_override: "structured_output_required" });
  }
  if (input.toolsRequested && input.local.functionCalling === false) {
    return remote("tool_calling_required", { routing_override: "tool_calling_required" });
  }
  if (input.preferLocal) return local("prefer_local");
  if (input.retrievalDisabled) return local("retrieval_disabled");
  if (input.localConfidenceScore >= input.threshold) return local("context_quality_ok");
  return remote(`context_quality_below_threshold_${input.threshold.toFixed(3)}`);
}
