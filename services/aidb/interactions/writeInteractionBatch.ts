import type { StoreItem } from "../api/interactionsContract.js";
import type { Db } from "../db/Db.js";
import { createInteractionRepository } from "./createInteractionRepository.js";

/** Writes a batch of interactions and their gaps in one transaction. */
export async function writeInteractionBatch(db: Db, items: StoreItem[]): Promise<void> {
  await db.transaction(async (tx) => {
    const repo = createInteractionRepository(tx);
    for (const { interaction, gap } of items) {
      await repo.record(interaction);
      if (gap) await repo.recordGap({ ...gap, interactionId: interaction.id });
    }
  });
}
