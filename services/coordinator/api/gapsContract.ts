import { z } from "zod";
import { queryInt } from "../../shared/http/queryFields.js";

// The coordinator's GET /gaps?days=7&limit=10: the questions asked most often
// whose retrieval was weak (knowledge gaps).

export const defaultGapsDays = 7;
export const maxGapsDays = 3650;
export const defaultGapsLimit = 10;
export const maxGapsLimit = 1000;

export const gapsQuerySchema = z.object({
  days: queryInt(1, maxGapsDays).default(defaultGapsDays),
  limit: queryInt(1, maxGapsLimit).default(defaultGapsLimit),
});

export type GapsQuery = z.infer<typeof gapsQuerySchema>;

/** One gap: a question (by its hash) that retrieval answered poorly, and how often it was asked. */
export const gapSchema = z.object({
  /** The most recent wording (redacted). */
  query_text: z.string(),
  query_text_hash: z.string(),
  /** Times asked in the window. */
  count: z.number().int(),
  /** The best retrieval score it got in the window. */
  best_score: z.number(),
  /** ISO time. */
  last_seen: z.string(),
  /** The project searched most recently; "*" for all projects. */
  collection_searched: z.string(),
});

export const gapsResponseSchema = z.looseObject({
  days: z.number().int(),
  /** A best retrieval score below this made a gap. */
  threshold: z.number(),
  gaps: z.array(gapSchema),
});

export type GapsResponse = z.infer<typeof gapsResponseSchema>;
