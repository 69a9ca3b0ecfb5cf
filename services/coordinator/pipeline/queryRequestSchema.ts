import { z } from "zod";

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
    project: z.string().trim().min(1, "project must not be empty").max(200).optional(),
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
