import { z } from "zod";
import { maxFeedbackNoteChars } from "../../aidb/api/interactionsContract.js";

// The coordinator's POST /feedback/:interaction_id: a rating of an answer.

/** The longest note, in characters: the longest aidb stores whole. */
export { maxFeedbackNoteChars };

export const ratingSchema = z.union([z.literal(1), z.literal(-1)], { error: "rating must be 1 (good) or -1 (bad)" });

/** The id an answer came with (`interaction_id` of POST /query). */
export const interactionIdSchema = z.string().uuid("expected an interaction id (a UUID)");

export const feedbackParamsSchema = z.object({ interaction_id: interactionIdSchema });

export const feedbackRequestSchema = z.strictObject({
  rating: ratingSchema,
  note: z.string().max(maxFeedbackNoteChars).optional(),
});

export type FeedbackRequest = z.infer<typeof feedbackRequestSchema>;

/**
 * The rating is recorded and linked to the documents the answer used
 * (`documents_linked` of `documents`); `aidb_error` says why linking stopped.
 * An unknown id is a 404 `not_found`.
 */
export const feedbackResponseSchema = z.looseObject({
  recorded: z.boolean(),
  interaction_id: z.string(),
  rating: ratingSchema,
  documents: z.number().int(),
  documents_linked: z.number().int(),
  aidb_error: z.string().optional(),
});

export type FeedbackResponse = z.infer<typeof feedbackResponseSchema>;
