import { z } from "zod";
import { createCoordinatorClient, defaultCoordinatorUrl } from "../../coordinator/api/createCoordinatorClient.js";
import { interactionIdSchema, maxFeedbackNoteChars } from "../../coordinator/api/feedbackContract.js";
import { serviceBaseUrl } from "../../shared/http/serviceBaseUrl.js";
import { ServiceError } from "../../shared/http/ServiceError.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { describeServiceError } from "../describeServiceError.js";
import { parseFlags } from "../parseFlags.js";
import { readCliApiKey } from "../readCliApiKey.js";

const flagsSchema = z.object({
  apiKeyFile: z.string().min(1).optional(),
  url: z.string().optional(),
  note: z.string().max(maxFeedbackNoteChars, `at most ${maxFeedbackNoteChars} characters`).optional(),
});

export const rateUsage = "usage: aq rate ID good|bad [--note TEXT] [--url URL]";

const ratings = { good: 1, bad: -1 } as const;

/**
 * `aq rate ID good|bad [--note TEXT] [--url URL]`: records feedback on an
 * answer (the id `aq ask` printed) through POST /feedback/:id, which also
 * links it to the documents the answer used. Exit 0 when recorded, 1 for an
 * unknown id or an unreachable coordinator, 2 for bad arguments (checked
 * before any request).
 */
export const rateCommand: Command = async (argv, io) => {
  try {
    return await rate(argv, io);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (err instanceof ServiceError && err.kind === "http" && err.status === 404) {
      io.err(`aq rate: unknown interaction: ${describeServiceError(err)}`);
      return 1;
    }
    io.err(`aq rate: ${describeServiceError(err)}`);
    return 1;
  }
};

const rate: Command = async (argv, io) => {
  const { flags, positionals } = parseFlags(argv, flagsSchema, { allowPositionals: true });
  const [id, rating, ...extra] = positionals;
  if (id === undefined) throw new UsageError(`ID: missing; ${rateUsage}`);
  if (rating === undefined) throw new UsageError(`rating: missing (good or bad); ${rateUsage}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}' (quote a note with --note); ${rateUsage}`);
  if (!interactionIdSchema.safeParse(id).success) throw new UsageError(`ID: expected an interaction id (a UUID, as printed by aq ask) (got ${JSON.stringify(id)})`);
  if (!Object.hasOwn(ratings, rating)) throw new UsageError(`rating: expected good or bad (got ${JSON.stringify(rating)})`);
  const client = createCoordinatorClient({ baseUrl: serviceBaseUrl(flags.url, defaultCoordinatorUrl), apiKey: readCliApiKey(flags.apiKeyFile) });
  const r = await client.feedback(id, { rating: ratings[rating as keyof typeof ratings], ...(flags.note !== undefined && { note: flags.note }) });
  const { documents, documents_linked: linked } = r;
  const detail =
    documents === 0
      ? "no documents to link"
      : `linked to ${linked} ${linked === 1 ? "document" : "documents"}${linked < documents ? ` of ${documents}` : ""}`;
  io.out(`recorded: ${rating} for ${r.interaction_id} (${detail})`);
  if (r.aidb_error) io.err(`aq rate: the rating is recorded, but linking it to its documents failed: ${r.aidb_error}`);
  return 0;
};
