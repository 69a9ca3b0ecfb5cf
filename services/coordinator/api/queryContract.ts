import { z } from "zod";

// The coordinator's POST /query: the request, its JSON answer, and the
// server-sent events of a streamed answer (`stream: true`).

/** The longest project name, in characters (after trimming). */
export const maxProjectChars = 200;

/** OpenAI's `response_format`: text, any JSON object, or JSON matching a schema. */
const responseFormat = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text") }),
  z.strictObject({ type: z.literal("json_object") }),
  z.strictObject({
    type: z.literal("json_schema"),
    json_schema: z.strictObject({
      name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, _ or -"),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);

/**
 * `POST /query`. Unknown fields are refused (a misspelt `force_locl` should
 * not be silently ignored). The query's length limit is configurable and
 * checked after sanitizing, by `sanitizeQuery`; here it only has to be a
 * non-empty string. `force_local` and `force_remote` together are refused
 * with an issue on each field that names both.
 */
export const queryRequestSchema = z
  .strictObject({
    query: z.string().min(1, "query must not be empty"),
    project: z.string().trim().min(1, "project must not be empty").max(maxProjectChars).optional(),
    prefer_local: z.boolean().default(false),
    force_local: z.boolean().default(false),
    force_remote: z.boolean().default(false),
    response_format: responseFormat.optional(),
    stream: z.boolean().default(false),
    include_generated: z.boolean().default(false),
  })
  .superRefine((body, ctx) => {
    if (body.force_local && body.force_remote) {
      const message = "force_local and force_remote cannot both be true";
      ctx.addIssue({ code: "custom", path: ["force_local"], message });
      ctx.addIssue({ code: "custom", path: ["force_remote"], message });
    }
  });

export type QueryRequest = z.infer<typeof queryRequestSchema>;
/** What a client sends: the defaulted fields may be left out. */
export type QueryRequestInput = z.input<typeof queryRequestSchema>;

// The answer. Objects are loose: a client reads the fields named here and
// keeps the rest (`aq ask --json` prints the answer as it came).

export const answerBackendSchema = z.enum(["local", "remote"]);

/** Why the backend was chosen. A cached answer says `semantic_cache_hit` and which backend first gave it (`answered_by`). */
export const queryRoutingSchema = z.looseObject({
  reason: z.string(),
  local_confidence_score: z.number().optional(),
  threshold: z.number().optional(),
  fallback_reason: z.string().optional(),
  routing_override: z.string().optional(),
  queued: z.boolean().optional(),
  answered_by: answerBackendSchema.optional(),
});

/** One passage the answer was given, by its aidb document. */
export const querySourceSchema = z.looseObject({
  document_id: z.string(),
  title: z.string().nullable(),
  score: z.number(),
  rerank_score: z.number().optional(),
});

export const queryContextSchema = z.looseObject({
  sources: z.array(querySourceSchema),
  tokens_before: z.number().optional(),
  tokens_after: z.number().optional(),
  compressed: z.boolean().optional(),
  retrieval_error: z.string().optional(),
});

export const queryCacheSchema = z.looseObject({
  hit: z.boolean(),
  variant: z.string(),
  kind: z.string().optional(),
  similarity: z.number().optional(),
});

/** Milliseconds per stage (`retrieve_ms`, `generate_ms`, ...) and `total_ms`. */
export const queryTimingsSchema = z.object({ total_ms: z.number() }).catchall(z.number());

/** POST /query's JSON answer (without `stream`). */
export const queryResponseSchema = z.looseObject({
  /** The id to rate the answer with (POST /feedback/:id). */
  interaction_id: z.string(),
  response: z.string(),
  backend: answerBackendSchema,
  routing: queryRoutingSchema,
  context: queryContextSchema,
  timings: queryTimingsSchema,
  cache: queryCacheSchema,
  usage: z.record(z.string(), z.unknown()).optional(),
  finish_reason: z.string().optional(),
});

export type QueryResponse = z.infer<typeof queryResponseSchema>;

/**
 * One event of a streamed answer (`data: {json}` each): `meta` first (the
 * routing, the sources), a `token` per piece of text, then `done` or, when
 * the backend fails mid-answer, `error`; the stream ends with `data: [DONE]`.
 */
export const queryEventSchema = z.discriminatedUnion("type", [
  z.looseObject({
    type: z.literal("meta"),
    interaction_id: z.string(),
    backend: answerBackendSchema,
    routing: queryRoutingSchema,
    context: queryContextSchema,
    cache: queryCacheSchema,
  }),
  z.looseObject({ type: z.literal("token"), text: z.string() }),
  z.looseObject({ type: z.literal("done"), interaction_id: z.string(), finish_reason: z.string().nullish(), timings: queryTimingsSchema }),
  z.looseObject({ type: z.literal("error"), error: z.string(), message: z.string() }),
]);

export type QueryEvent = z.infer<typeof queryEventSchema>;

/** The data of the last event of a stream. */
export const streamEnd = "[DONE]";
