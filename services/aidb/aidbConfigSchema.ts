import { z } from "zod";
import ports from "../../lib/ports.json" with { type: "json" };
import { accessConfigShape, refineListenAccess } from "../shared/access/accessConfigShape.js";
import { hostField, intField, numberField, portField, sha256Field } from "../shared/config/fields.js";

/**
 * Every setting of aidb. The same keys come from the JSON config file (NixOS
 * renders `host`, `port`, `databaseUrl`, `embeddingsUrl`, and with keys `apiKeysFile`, `internalKeyFile`, `auditSocket`), from
 * `AI_AIDB_*` environment variables and from `aq serve aidb` flags.
 */
export const aidbConfigSchema = z
  .object({
    host: hostField().default("127.0.0.1"),
    port: portField().default(ports.aidb),
    /** Embedded PGlite persisted here. Without it and without databaseUrl, the store lives in memory. */
    dataDir: z.string().min(1).optional(),
    /** PostgreSQL with pgvector, e.g. postgres://aidb@localhost/aidb. */
    databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, "expected a postgres:// URL").optional(),
    databasePoolSize: intField(1, 100).default(4),
    /** The inference service that embeds (`--embed-url`). */
    embeddingsUrl: z.string().url().optional(),
    /** A GGUF embedding model run in-process (`--embed-model`). */
    embedModel: z.string().min(1).optional(),
    embedModelSha256: sha256Field().optional(),
    /**
     * Put before each search query and each document chunk when they are
     * embedded: the embedding model's prefixes (lib/models.json `prefixes`;
     * nomic-embed-text's `search_query: ` and `search_document: `; NixOS
     * renders them). Unset: none. A new document prefix marks the chunks
     * embedded before as another model's (re-ingest them).
     */
    embedQueryPrefix: z.string().min(1).max(200).optional(),
    embedDocumentPrefix: z.string().min(1).max(200).optional(),
    /** Texts per /v1/embeddings request; keep it within the inference service's maxInputsPerRequest. */
    embedBatchSize: intField(1, 100_000).default(64),
    /** How long start-up waits for the inference service's embedding model. */
    embedStartupTimeoutMs: intField(0, 3_600_000).default(60_000),
    /** Redis for the embedding cache; without it, an in-process LRU. */
    redisUrl: z.string().regex(/^rediss?:\/\//, "expected a redis:// URL").optional(),
    /** Raise to turn every cached embedding into a miss. */
    cacheEpoch: intField(0, 1_000_000).default(0),
    /** Entries of the in-process LRU (when there is no Redis). */
    cacheMaxEntries: intField(1, 10_000_000).default(50_000),
    /** Largest document text in bytes (UTF-8). */
    maxDocumentBytes: intField(1, 64 * 1024 * 1024).default(50 * 1024),
    /** Documents per POST /documents. */
    maxBatchDocuments: intField(1, 100_000).default(1000),
    /** Largest request body; the default admits a full batch of the largest documents. */
    bodyLimitBytes: intField(1024, 2 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
    /** Chunk size and overlap in tokens of the embedding model. */
    chunkTokens: intField(16, 8192).default(256),
    chunkOverlapTokens: intField(0, 4096).default(32),
    /** Injection score above which a document is quarantined. */
    injectionThreshold: numberField(0, 1).default(0.5),
    /** HNSW search breadth (hnsw.ef_search); recall against speed. */
    efSearch: intField(1, 1000).default(100),
    /** Score multipliers by age. */
    decayAfterDays: intField(1, 100_000).default(90),
    decayFactor: numberField(0, 1).default(0.9),
    strongDecayAfterDays: intField(1, 100_000).default(180),
    strongDecayFactor: numberField(0, 1).default(0.75),
    recentAccessDays: intField(0, 100_000).default(7),
    recentAccessBonus: numberField(1, 100).default(1.25),
    feedbackBonus: numberField(1, 100).default(1.3),
    /** GC deletes never-accessed documents older than this without positive feedback. */
    gcAfterDays: intField(1, 100_000).default(180),
    /** Results per search at most. */
    maxSearchLimit: intField(1, 1000).default(100),
    threads: intField(1, 256).default(1),
    /** Tries of embedding and storing a document (the first included), with exponential backoff and full jitter between them. */
    ingestRetryAttempts: intField(1, 100).default(5),
    /** The backoff before the first retry; it doubles for each further one, up to ingestRetryMaxMs. */
    ingestRetryBaseMs: intField(0, 600_000).default(500),
    ingestRetryMaxMs: intField(0, 3_600_000).default(15_000),
    /** Documents an ingest job takes per step; its position is written after each. */
    ingestJobSliceDocuments: intField(1, 10_000).default(16),
    /** How long an ingest job waits when a dependency is down before it tries the same step again. */
    ingestJobPauseMs: intField(0, 86_400_000).default(30_000),
    /** Waits in a row after which the documents still failing are dead-lettered and the job moves on. */
    ingestJobMaxPauses: intField(1, 100_000).default(20),
    shutdownTimeoutMs: intField(0, 600_000).default(30_000),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** API keys, rate limits (in redisUrl's Redis when set), audit: docs/operations.md. */
    ...accessConfigShape,
  })
  .strict()
  .superRefine((c, ctx) => {
    refineListenAccess(c, ctx);
    if (c.dataDir && c.databaseUrl) {
      ctx.addIssue({ code: "custom", path: ["databaseUrl"], message: "set either dataDir (embedded PGlite) or databaseUrl (PostgreSQL), not both" });
    }
    if (c.embeddingsUrl && c.embedModel) {
      ctx.addIssue({ code: "custom", path: ["embedModel"], message: "set either embeddingsUrl (--embed-url) or embedModel (--embed-model), not both" });
    }
    if (!c.embeddingsUrl && !c.embedModel) {
      ctx.addIssue({
        code: "custom",
        path: ["embeddingsUrl"],
        message: "an embedder: set embeddingsUrl (--embed-url, the inference service) or embedModel (--embed-model FILE)",
      });
    }
    if (c.strongDecayAfterDays < c.decayAfterDays) {
      ctx.addIssue({ code: "custom", path: ["strongDecayAfterDays"], message: "must be at least decayAfterDays" });
    }
  });

export type AidbConfig = z.infer<typeof aidbConfigSchema>;
