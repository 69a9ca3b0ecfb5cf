import { z } from "zod";

/** What the coordinator knows when it picks a backend for one query. */
export const backendSelectionInputSchema = z
  .object({
    forceLocal: z.boolean().optional(),
    forceRemote: z.boolean().optional(),
    /** The request asked for the local model when it can serve (prefer_local). */
    preferLocal: z.boolean().optional(),
    /** No retrieval ran (the front door with retrieval off): there is no context to judge. */
    retrievalDisabled: z.boolean().optional(),
    local: z.object({
      /** The last /health + /status probe answered (cached briefly). */
      healthy: z.boolean(),
      /** The local model is still loading. */
      loading: z.boolean(),
      /** The local model's file is still being downloaded (first boot): it cannot answer. */
      downloading: z.boolean().optional(),
      queueDepth: z.number().int().min(0),
      queueLimit: z.number().int().min(0),
      /** The local model can follow a JSON schema / grammar: /status capabilities, unless the localStructuredOutput setting says no. */
      structuredOutput: z.boolean(),
      /** The local model can call functions (/status function_calling); unknown counts as able (it refuses tools with a 400 if not). */
      functionCalling: z.boolean().optional(),
    }),
    remote: z.object({
      configured: z.boolean(),
      /** Only "open" makes the remote unavailable; "half_open" lets a trial through. */
      circuit: z.enum(["closed", "open", "half_open"]),
    }),
    /** The request's response_format asks for json_object / json_schema. */
    structuredOutputRequested: z.boolean(),
    /** The request has tools the model may call (tool_choice other than "none"). */
    toolsRequested: z.boolean().optional(),
    localConfidenceScore: z.number().min(0).max(1),
    threshold: z.number().min(0).max(1),
  })
  .refine((v) => !(v.forceLocal && v.forceRemote), {
    message: "force_local and force_remote cannot both be set",
    path: ["forceRemote"],
  });

export type BackendSelectionInput = z.infer<typeof backendSelectionInputSchema>;
