import { z } from "zod";

/**
 * `routing-config.json` in the state directory: what may change without a
 * restart. Keys are snake_case like the rest of the stack's JSON; unknown keys
 * are rejected so a typo is reported instead of silently ignored.
 */
export const routingConfigSchema = z
  .strictObject({
    local_confidence_threshold: z.number().min(0).max(1).default(0.7),
    remote_circuit: z
      .strictObject({
        failures: z.number().int().min(1).default(3),
        cooldown_ms: z.number().int().min(0).default(5000),
      })
      .prefault({}),
    /** Alternative phrasings asked of the local model per question when queryRewrite is on (an iteration limit the learning loop may raise). */
    max_query_rewrites: z.number().int().min(0).max(8).default(3),
  })
  .transform((c) => ({
    threshold: c.local_confidence_threshold,
    remoteCircuit: { failures: c.remote_circuit.failures, cooldownMs: c.remote_circuit.cooldown_ms },
    maxQueryRewrites: c.max_query_rewrites,
  }));

export type RoutingConfig = z.output<typeof routingConfigSchema>;
export type RoutingConfigFile = z.input<typeof routingConfigSchema>;
