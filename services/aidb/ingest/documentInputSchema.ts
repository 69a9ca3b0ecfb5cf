import { z } from "zod";

export const sourceTrustValues = ["trusted", "imported", "generated"] as const;
export type SourceTrust = (typeof sourceTrustValues)[number];

/** One document of POST /documents. Size limits are checked by the route (they are configurable). */
export const documentInputSchema = z
  .object({
    project: z.string().trim().min(1, "project is required").max(200),
    text: z.string().min(1, "text must not be empty"),
    title: z.string().max(1000).optional(),
    source: z.string().max(2000).optional(),
    source_trust: z.enum(sourceTrustValues).default("imported"),
    metadata: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type DocumentInput = z.infer<typeof documentInputSchema>;

/** POST /documents takes one document or `{documents: [...]}`. */
export const ingestBodySchema = z.union([
  z.object({ documents: z.array(documentInputSchema).min(1, "documents must not be empty") }).strict(),
  documentInputSchema,
]);
