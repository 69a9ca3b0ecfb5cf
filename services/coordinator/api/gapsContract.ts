import { z } from "zod";
import { gapSummarySchema } from "../../aidb/api/interactionsContract.js";
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

export const gapsResponseSchema = z.looseObject({
  days: z.number().int(),
  /** A best retrieval score below this made a gap. */
  threshold: z.number(),
  /** As aidb keeps them: each question (by its hash), how often it was asked, its best score. */
  gaps: z.array(gapSummarySchema),
});

export type GapsResponse = z.infer<typeof gapsResponseSchema>;
