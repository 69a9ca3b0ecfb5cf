import { z } from "zod";
import { queryBool, queryInt } from "../../shared/http/queryFields.js";

// aidb's GET /search.

/** The longest `q` aidb searches with, in characters. */
export const maxSearchQueryChars = 2000;

export const searchModes = ["hybrid", "semantic", "keyword"] as const;
export type SearchMode = (typeof searchModes)[number];

/** GET /search's query string; `limit` is capped by the server's configured maxSearchLimit. */
export const searchQuerySchema = (maxLimit: number) =>
  z.object({
    q: z.string().trim().min(1, "q is required").max(maxSearchQueryChars),
    project: z.string().min(1).optional(),
    limit: queryInt(1, maxLimit).default(10),
    mode: z.enum(searchModes).default("hybrid"),
    include_generated: queryBool().default(false),
    include_quarantined: queryBool().default(false),
  });

export type SearchQuery = z.infer<ReturnType<typeof searchQuerySchema>>;

/** One passage of the answer. */
export const searchResultSchema = z.object({
  chunk_id: z.string(),
  document_id: z.string(),
  title: z.string().nullable(),
  text: z.string(),
  score: z.number(),
  scores: z.object({ vector: z.number().nullable(), keyword: z.number().nullable(), fused: z.number(), decay: z.number(), bonus: z.number() }),
  source_trust: z.string(),
  ingested_at: z.string(),
  last_accessed_at: z.string(),
});

export type SearchResult = z.infer<typeof searchResultSchema>;

export const searchResponseSchema = z.object({ query: z.string(), mode: z.enum(searchModes), results: z.array(searchResultSchema) });
