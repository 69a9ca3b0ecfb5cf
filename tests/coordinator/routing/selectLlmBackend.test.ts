import { describe, expect, it } from "vitest";
import { backendSelectionInputSchema, type BackendSelectionInput } from "../../../services/coordinator/routing/backendSelectionInputSchema.js";
import { selectLlmBackend, type BackendDecision } from "../../../services/coordinator/routing/selectLlmBackend.js";

/** Everything healthy, remote available, good context: goes local. */
function input(over: Partial<Omit<BackendSelectionInput, "local" | "remote">> & {
  local?: Partial<BackendSelectionInput["local"]>;
  remote?: Partial<BackendSelectionInput["remote"]>;
} = {}): BackendSelectionInput {
  const { local, remote, ...rest } = over;
  return {
    local: { healthy: true, loading: false, queueDepth: 0, queueLimit: 4, structuredOutput: true, ...local },
    remote: { configured: true, circuit: "closed", ...remote },
    structuredOutputRequested: false,
    localConfidenceScore: 0.8,
    threshold: 0.7,
    ...rest,
  };
}

type Expected = Pick<BackendDecision, "backend" | "action" | "reason"> & Partial<BackendDecision>;

const cases: [string, BackendSelectionInput, Expected][] = [
  // 1. forced flags win over everything
  ["force_remote beats a good local context", input({ forceRemote: true }), { backend: "remote", action: "generate", reason: "force_remote" }],
  ["force_remote goes even with the circuit open", input({ forceRemote: true, remote: { circuit: "open" } }), { backend: "remote", action: "generate", reason: "force_remote" }],
  ["force_remote without a remote stays local and says so", input({ forceRemote: true, remote: { configured: false } }), { backend: "local", action: "generate", reason: "force_remote_but_remote_not_configured" }],
  ["force_local beats an unhealthy local", input({ forceLocal: true, local: { healthy: false } }), { backend: "local", action: "generate", reason: "force_local" }],
  ["force_local beats a low score", input({ forceLocal: true, localConfidenceScore: 0.1 }), { backend: "local", action: "generate", reason: "force_local" }],
  ["force_local beats structured output", input({ forceLocal: true, structuredOutputRequested: true, local: { structuredOutput: false } }), { backend: "local", action: "generate", reason: "force_local" }],
  ["force_local while loading queues", input({ forceLocal: true, local: { loading: true } }), { backend: "local", action: "queue", reason: "force_local" }],
  // 1c. local model still being downloaded (first boot): the remote, or nobody
  ["downloading local goes remote", input({ local: { healthy: false, downloading: true } }), { backend: "remote", action: "generate", reason: "local_downloading", fallback_reason: "local_downloading" }],
  ["downloading beats prefer_local and a perfect score", input({ preferLocal: true, localConfidenceScore: 1, local: { healthy: false, downloading: true } }), { backend: "remote", action: "generate", reason: "local_downloading", fallback_reason: "local_downloading" }],
  ["downloading without a remote: no backend can answer", input({ local: { healthy: false, downloading: true }, remote: { configured: false } }), { backend: "local", action: "unavailable", reason: "local_downloading" }],
  ["downloading with the circuit open: no backend can answer", input({ local: { healthy: false, downloading: true }, remote: { circuit: "open" } }), { backend: "local", action: "unavailable", reason: "local_downloading" }],
  ["force_local while downloading cannot be honoured", input({ forceLocal: true, local: { healthy: false, downloading: true } }), { backend: "local", action: "unavailable", reason: "local_downloading" }],
  ["force_remote while downloading goes remote", input({ forceRemote: true, local: { healthy: false, downloading: true } }), { backend: "remote", action: "generate", reason: "force_remote" }],
  ["force_remote without a remote while downloading: no backend can answer", input({ forceRemote: true, local: { healthy: false, downloading: true }, remote: { configured: false } }), { backend: "local", action: "unavailable", reason: "local_downloading" }],
  // 2. local unhealthy
  ["unhealthy local goes remote", input({ local: { healthy: false } }), { backend: "remote", action: "generate", reason: "local_unhealthy", fallback_reason: "local_unhealthy" }],
  ["unhealthy beats loading with room", input({ local: { healthy: false, loading: true } }), { backend: "remote", action: "generate", reason: "local_unhealthy", fallback_reason: "local_unhealthy" }],
  ["unhealthy beats a perfect score", input({ local: { healthy: false }, localConfidenceScore: 1 }), { backend: "remote", action: "generate", reason: "local_unhealthy", fallback_reason: "local_unhealthy" }],
  // 3. local loading
  ["loading with queue room queues locally", input({ local: { loading: true, queueDepth: 3, queueLimit: 4 } }), { backend: "local", action: "queue", reason: "local_loading_queued" }],
  ["loading with a full queue goes remote", input({ local: { loading: true, queueDepth: 4, queueLimit: 4 } }), { backend: "remote", action: "generate", reason: "local_loading_queue_full", fallback_reason: "local_loading_queue_full" }],
  ["loading beats a low score", input({ local: { loading: true }, localConfidenceScore: 0 }), { backend: "local", action: "queue", reason: "local_loading_queued" }],
  ["loading beats structured output", input({ local: { loading: true, structuredOutput: false }, structuredOutputRequested: true }), { backend: "local", action: "queue", reason: "local_loading_queued" }],
  // 4. structured output
  ["structured output the local cannot do goes remote", input({ structuredOutputRequested: true, local: { structuredOutput: false }, localConfidenceScore: 1 }), { backend: "remote", action: "generate", reason: "structured_output_required", routing_override: "structured_output_required" }],
  ["structured output the local can do stays local", input({ structuredOutputRequested: true }), { backend: "local", action: "generate", reason: "context_quality_ok" }],
  ["no structured output asked: capability irrelevant", input({ local: { structuredOutput: false } }), { backend: "local", action: "generate", reason: "context_quality_ok" }],
  // 4b. tool calling
  ["tools the local cannot call go remote", input({ toolsRequested: true, local: { functionCalling: false }, localConfidenceScore: 1 }), { backend: "remote", action: "generate", reason: "tool_calling_required", routing_override: "tool_calling_required" }],
  ["tools the local can call stay local", input({ toolsRequested: true, local: { functionCalling: true } }), { backend: "local", action: "generate", reason: "context_quality_ok" }],
  ["tools, capability unknown: local (it refuses with a 400 if it cannot)", input({ toolsRequested: true }), { backend: "local", action: "generate", reason: "context_quality_ok" }],
  ["no tools asked: capability irrelevant", input({ local: { functionCalling: false } }), { backend: "local", action: "generate", reason: "context_quality_ok" }],
  ["tools, no remote: local, which refuses them", input({ toolsRequested: true, local: { functionCalling: false }, remote: { configured: false } }), { backend: "local", action: "generate", reason: "remote_not_configured" }],
  ["force_local beats tools", input({ forceLocal: true, toolsRequested: true, local: { functionCalling: false } }), { backend: "local", action: "generate", reason: "force_local" }],
  // 5. context quality
  ["score exactly at the threshold goes local", input({ localConfidenceScore: 0.7, threshold: 0.7 }), { backend: "local", action: "generate", reason: "context_quality_ok" }],
  ["score just below the threshold goes remote", input({ localConfidenceScore: 0.989, threshold: 0.99 }), { backend: "remote", action: "generate", reason: "context_quality_below_threshold_0.990" }],
  ["threshold 0 sends everything local", input({ localConfidenceScore: 0, threshold: 0 }), { backend: "local", action: "generate", reason: "context_quality_ok" }],
  ["threshold 1 keeps only perfect scores", input({ localConfidenceScore: 0.999, threshold: 1 }), { backend: "remote", action: "generate", reason: "context_quality_below_threshold_1.000" }],
  // 6. remote unavailable keeps the query local
  ["low score, no remote: local", input({ localConfidenceScore: 0.1, remote: { configured: false } }), { backend: "local", action: "generate", reason: "remote_not_configured" }],
  ["low score, circuit open: local", input({ localConfidenceScore: 0.1, remote: { circuit: "open" } }), { backend: "local", action: "generate", reason: "remote_circuit_open" }],
  ["low score, circuit half-open: remote trial", input({ localConfidenceScore: 0.1, remote: { circuit: "half_open" } }), { backend: "remote", action: "generate", reason: "context_quality_below_threshold_0.700" }],
  ["unhealthy local, circuit open: local anyway", input({ local: { healthy: false }, remote: { circuit: "open" } }), { backend: "local", action: "generate", reason: "remote_circuit_open" }],
  ["full queue, no remote: local queue", input({ local: { loading: true, queueDepth: 4, queueLimit: 4 }, remote: { configured: false } }), { backend: "local", action: "queue", reason: "remote_not_configured" }],
  ["structured output, circuit open: local", input({ structuredOutputRequested: true, local: { structuredOutput: false }, remote: { circuit: "open" } }), { backend: "local", action: "generate", reason: "remote_circuit_open" }],
  ["not configured wins over open circuit in the reason", input({ localConfidenceScore: 0.1, remote: { configured: false, circuit: "open" } }), { backend: "local", action: "generate", reason: "remote_not_configured" }],
];

describe("selectLlmBackend", () => {
  it.each(cases)("%s", (_name, given, expected) => {
    const decision = selectLlmBackend(given);
    expect(decision).toEqual({
      local_confidence_score: given.localConfidenceScore,
      threshold: given.threshold,
      ...expected,
    });
  });

  it("carries the score and threshold through unchanged", () => {
    const d = selectLlmBackend(input({ localConfidenceScore: 0.123, threshold: 0.456 }));
    expect(d.local_confidence_score).toBe(0.123);
    expect(d.threshold).toBe(0.456);
  });
});

describe("backendSelectionInputSchema", () => {
  it("accepts a complete input", () => {
    expect(backendSelectionInputSchema.parse(input())).toEqual(input());
  });

  it.each([
    ["localConfidenceScore", input({ localConfidenceScore: 1.5 })],
    ["threshold", input({ threshold: -0.1 })],
    ["forceRemote", input({ forceLocal: true, forceRemote: true })],
    ["remote.circuit", { ...input(), remote: { configured: true, circuit: "broken" } }],
    ["local.queueDepth", input({ local: { queueDepth: -1 } })],
  ])("rejects a bad %s and names it", (field, bad) => {
    const result = backendSelectionInputSchema.safeParse(bad);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path.join(".")).toBe(field);
  });
});
