import { z } from "zod";
import ports from "../../lib/ports.json" with { type: "json" };
import { accessConfigShape, refineListenAccess } from "../shared/access/accessConfigShape.js";
import { boolField, hostField, intField, numberField, portField } from "../shared/config/fields.js";

const httpUrl = () => z.string().url().regex(/^https?:\/\//, "expected an http:// or https:// URL");

/**
 * Every setting of the coordinator. The same keys come from the JSON config
 * file (NixOS renders host, port, inferenceUrl, embeddingsUrl, aidbUrl,
 * redisUrl, remoteLlmUrl, remoteLlmKeyFile, apiKeysFile), from
 * `AI_COORDINATOR_*` environment variables and from `aq serve coordinator`
 * flags. Two settings also have the names the issue tracker and operators
 * know: `AI_CONTEXT_COMPRESSION_ENABLED` and `AB_TEST_VARIANT_B_FRACTION`.
 */
export const coordinatorConfigSchema = z
  .object({
    host: hostField().default("127.0.0.1"),
    port: portField().default(ports.coordinator),
    /** routing-config.json and telemetry.jsonl live here. */
    stateDir: z.string().min(1).default(".data/coordinator"),
    /** The local chat inference service (its base URL, without /v1). */
    inferenceUrl: httpUrl().default(`http://127.0.0.1:${ports.inferenceChat}`),
    /** The inference service that embeds queries for the semantic cache; default: inferenceUrl. */
    embeddingsUrl: httpUrl().optional(),
    /**
     * Put before a question when it is embedded for the semantic cache: the
     * embedding model's query prefix (lib/models.json `prefixes.query`, e.g.
     * nomic-embed-text's `search_query: `; NixOS renders it). Unset: none.
     */
    embedQueryPrefix: z.string().min(1).max(200).optional(),
    /** An inference service with a reranker (`/v1/rerank`); without it the rerank stage is skipped. */
    rerankUrl: httpUrl().optional(),
    aidbUrl: httpUrl().default(`http://127.0.0.1:${ports.aidb}`),
    /** Redis for the semantic cache; without it the stack runs without that cache. */
    redisUrl: z.string().regex(/^rediss?:\/\//, "expected a redis:// URL").optional(),
    /** An OpenAI-compatible API base, e.g. https://host/v1 (requests go to <url>/chat/completions). */
    remoteLlmUrl: httpUrl().optional(),
    /** A file holding the remote API key (sent as a Bearer token). */
    remoteLlmKeyFile: z.string().min(1).optional(),
    /** The model name sent to the remote API. */
    remoteModel: z.string().min(1).max(200).default("default"),

    /** Longest query in characters, after sanitizing. */
    maxQueryChars: intField(1, 100_000).default(4000),
    /** Largest request body in bytes (the front door carries whole conversations). */
    bodyLimitBytes: intField(1024, 64 * 1024 * 1024).default(1024 * 1024),
    /** Passages asked from aidb per query. */
    retrievalLimit: intField(1, 100).default(8),
    /** Token budget of the context given to the model (estimated at 3 characters per token). */
    contextTokenBudget: intField(16, 1_000_000).default(1500),
    /** `AI_CONTEXT_COMPRESSION_ENABLED=false` passes retrieved passages through unchanged. */
    compressionEnabled: boolField().default(true),
    /** A retrieved passage scoring above this (shared/text/scoreInjection, as at aidb's ingest) is dropped or fenced before it enters a prompt. */
    injectionThreshold: numberField(0, 1).default(0.5),
    /** drop: the passage is left out; fence: it stays, quoted and labelled as a possible injection. */
    injectionAction: z.enum(["drop", "fence"]).default("drop"),
    /** A query whose best retrieval score is below this is recorded as a knowledge gap. */
    gapScoreThreshold: numberField(0, 10).default(0.4),
    /** LLM rewriting of the query into alternative phrasings (off by default). */
    queryRewrite: boolField().default(false),
    queryRewriteTimeoutMs: intField(1, 60_000).default(4000),
    /**
     * Whether the local model may be given response_format. The model's own
     * capability comes from the inference service's /status (lib/models.json
     * `json_schema`); false keeps structured output off the local model whatever it reports.
     */
    localStructuredOutput: boolField().default(true),
    /** The local /health + /status probe: its timeout and how long a result is reused. */
    healthTimeoutMs: intField(1, 60_000).default(500),
    healthCacheMs: intField(0, 60_000).default(1000),
    /** Timeouts of backend calls. */
    aidbTimeoutMs: intField(1, 600_000).default(5000),
    rerankTimeoutMs: intField(1, 600_000).default(5000),
    localTimeoutMs: intField(1, 3_600_000).default(300_000),
    remoteTimeoutMs: intField(1, 3_600_000).default(120_000),
    /** max_tokens of an answer when the request does not say. */
    maxTokens: intField(1, 1_000_000).default(512),
    /** Semantic cache: cosine similarity for a hit, entries kept per scope, entry lifetime. */
    semanticCacheEnabled: boolField().default(true),
    semanticCacheSimilarity: numberField(0, 1).default(0.95),
    semanticCacheMaxEntries: intField(1, 100_000).default(200),
    semanticCacheTtlSeconds: intField(1, 365 * 86400).default(86400),
    /** `AB_TEST_VARIANT_B_FRACTION`: share of requests assigned variant "B". */
    abVariantBFraction: numberField(0, 1).default(0),
    /** Telemetry JSONL rotates to .1 beyond this size. */
    telemetryMaxBytes: intField(1024, 1024 * 1024 * 1024).default(50 * 1024 * 1024),
    /** The learning loop (docs/learning.md): ratings the weekly job needs in its 7-day window before it proposes anything. */
    learningMinRatings: intField(1, 1_000_000).default(20),
    /** Ratings a query-type bucket needs to count on its own (fewer: pooled with the rest). */
    learningMinBucketRatings: intField(1, 1_000_000).default(5),
    /** The local model's success rate the threshold steers towards, and the band around it where nothing changes. */
    learningTargetSuccessRate: numberField(0, 1).default(0.75),
    learningDeadBand: numberField(0, 1).default(0.05),
    /** The largest threshold change per week (never more than 0.05), and the range the threshold stays in. */
    learningMaxStep: numberField(0.001, 0.05).default(0.05),
    learningThresholdMin: numberField(0, 1).default(0.3),
    learningThresholdMax: numberField(0, 1).default(0.9),
    /** Apply the weekly job's proposals at once instead of waiting for `aq proposals approve`. */
    learningAutoApply: boolField().default(false),
    /** Share of the week's questions recorded as knowledge gaps above which more query rewrites are proposed (with queryRewrite on). */
    learningGapRateForRewrites: numberField(0, 1).default(0.3),
    /** The tracked file code_change_required proposals are appended to when approved; default <stateDir>/learning-changes.md. */
    learningChangesFile: z.string().min(1).optional(),
    shutdownTimeoutMs: intField(0, 600_000).default(30_000),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** API keys, rate limits (in redisUrl's Redis when set), audit: docs/operations.md. */
    ...accessConfigShape,
  })
  .strict()
  .superRefine((c, ctx) => {
    refineListenAccess(c, ctx);
    if (c.learningThresholdMin > c.learningThresholdMax) {
      ctx.addIssue({ code: "custom", path: ["learningThresholdMin"], message: "must be at most learningThresholdMax" });
    }
    if (c.remoteLlmKeyFile && !c.remoteLlmUrl) {
      ctx.addIssue({ code: "custom", path: ["remoteLlmKeyFile"], message: "set remoteLlmUrl too (a key without a remote is a mistake)" });
    }
  });

export type CoordinatorConfig = z.infer<typeof coordinatorConfigSchema>;
