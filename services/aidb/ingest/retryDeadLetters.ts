import type { z } from "zod";
import type { dlqRetryResponseSchema } from "../api/ingestJobsContract.js";
import type { DeadLetterRepository } from "./createDeadLetterRepository.js";
import { ingestItems, type IngestContext } from "./ingestItems.js";

type RetryResponse = z.infer<typeof dlqRetryResponseSchema>;

/**
 * Ingests dead letters again (the given ids, or the oldest `limit`): each
 * one stored (or found already stored) leaves the queue; each one that
 * fails again stays, with its tries counted up and the new error.
 */
export async function retryDeadLetters(ctx: IngestContext & { deadLetters: DeadLetterRepository }, opts: { ids?: number[]; limit: number }): Promise<RetryResponse> {
  const letters = await ctx.deadLetters.take(opts);
  if (letters.length === 0) return { retried: 0, stored: 0, duplicates: 0, failed: 0, results: [] };
  const { results, failures } = await ingestItems(
    ctx,
    letters.map((l) => l.item),
  );
  const out: RetryResponse["results"] = [];
  const done: number[] = [];
  for (const r of results) {
    const letter = letters[r.index]!;
    if (r.status === "failed") {
      const f = failures.find((x) => x.index === r.index);
      await ctx.deadLetters.failedAgain(letter.id, r.error ?? "failed", f?.attempts ?? 1);
      out.push({ id: letter.id, status: "failed", document_id: null, error: r.error });
    } else {
      done.push(letter.id);
      out.push({ id: letter.id, status: r.status, document_id: r.id });
    }
  }
  await ctx.deadLetters.remove(done);
  ctx.logger.info({ event: "dead_letters_retried", retried: letters.length, left_queue: done.length }, "dead letters retried");
  const count = (s: string) => out.filter((x) => x.status === s).length;
  return { retried: letters.length, stored: count("stored"), duplicates: count("duplicate"), failed: count("failed"), results: out };
}
