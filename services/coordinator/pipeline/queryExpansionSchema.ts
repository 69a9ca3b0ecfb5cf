import { z } from "zod";

const phrase = z.string().trim().min(1, "must not be empty");

/**
 * `lib/query-expansion.json`: `{version: 1, terms: {term: [expansion, ...]}}`.
 * Terms are lowercase (matching is case-insensitive, so an uppercase key
 * could never match as written); each term has at least one expansion and
 * no expansion repeats within a term (compared case-insensitively).
 */
export const queryExpansionSchema = z.object({
  version: z.literal(1),
  terms: z
    .record(
      z
        .string()
        .trim()
        .min(1, "term must not be empty")
        .refine((k) => k === k.toLowerCase(), { message: "term must be lowercase" }),
      z
        .array(phrase)
        .min(1, "needs at least one expansion")
        .superRefine((list, ctx) => {
          const seen = new Set<string>();
          for (const [i, e] of list.entries()) {
            const key = e.toLowerCase();
            if (seen.has(key)) ctx.addIssue({ code: "custom", path: [i], message: `duplicate expansion "${e}"` });
            seen.add(key);
          }
        }),
    )
    .refine((t) => Object.keys(t).length > 0, { message: "needs at least one term" }),
});

export type QueryExpansionMap = z.infer<typeof queryExpansionSchema>;
