import type { Db } from "../db/Db.js";

export interface FusionWeights {
  vector: number;
  keyword: number;
  version: number;
  updated_at: string;
}

/** Hybrid fusion weights: every change is a new row with the next version, so they persist and can be audited. */
export function createWeightsRepository(db: Db) {
  const current = async (q: Pick<Db, "query"> = db): Promise<FusionWeights> => {
    const r = await q.query<{ vector: number; keyword: number; version: number; updated_at: Date | string }>(
      "SELECT vector, keyword, version, updated_at FROM fusion_weights ORDER BY version DESC LIMIT 1",
    );
    const row = r.rows[0];
    return { vector: Number(row.vector), keyword: Number(row.keyword), version: row.version, updated_at: new Date(row.updated_at).toISOString() };
  };
  return {
    current: () => current(),
    /** Stores normalised weights (sum 1) as the next version. */
    async set(weights: { vector: number; keyword: number }): Promise<FusionWeights> {
      const sum = weights.vector + weights.keyword;
      return db.transaction(async (tx) => {
        await tx.query("LOCK TABLE fusion_weights IN EXCLUSIVE MODE");
        await tx.query(
          "INSERT INTO fusion_weights (version, vector, keyword) SELECT coalesce(max(version), 0) + 1, $1, $2 FROM fusion_weights",
          [weights.vector / sum, weights.keyword / sum],
        );
        return current(tx);
      });
    },
  };
}

export type WeightsRepository = ReturnType<typeof createWeightsRepository>;
