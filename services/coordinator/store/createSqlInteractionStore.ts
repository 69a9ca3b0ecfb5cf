import type { Db } from "../../aidb/db/Db.js";
import { createInteractionRepository } from "./createInteractionRepository.js";
import { createRecordBatcher } from "./createRecordBatcher.js";
import type { GapInput, InteractionStore } from "./InteractionStore.js";
import type { InteractionRecord } from "./interactionStoreTypes.js";

export interface StoreItem {
  interaction: InteractionRecord & { id: string };
  gap?: GapInput;
}

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

/** The store directly on a database (`databaseUrl`; tables made by migrateCoordinator). */
export function createSqlInteractionStore(db: Db, opts: { closeDb?: boolean } = {}): InteractionStore {
  const repo = createInteractionRepository(db);
  const batcher = createRecordBatcher<StoreItem>((items) => writeInteractionBatch(db, items));
  return {
    kind: "postgres",
    record: (interaction, gap) => batcher.add({ interaction, gap }),
    get: (id) => repo.get(id),
    addFeedback: (id, rating, note) => repo.addFeedback(id, rating, note),
    topGaps: (o) => repo.topGaps(o),
    async ping() {
      const t0 = performance.now();
      await db.query("SELECT 1");
      return performance.now() - t0;
    },
    async close() {
      await batcher.flush();
      if (opts.closeDb) await db.close();
    },
  };
}
