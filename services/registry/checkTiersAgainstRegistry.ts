import type { ModelRegistry } from "./modelRegistrySchema.js";
import { tierNames } from "./tierNames.js";
import type { Tiers } from "./tiersSchema.js";

/**
 * Cross-file checks between lib/tiers.json and lib/models.json: each tier's
 * models exist, have the right capability, come from an allowlisted
 * repository and list the tier in `recommended_for`. Returns the problems.
 */
export function checkTiersAgainstRegistry(tiers: Tiers, registry: ModelRegistry): string[] {
  const problems: string[] = [];
  const byId = new Map(registry.models.map((m) => [m.id, m]));
  const need = (tier: string, field: string, id: string | null, capability: string) => {
    if (id === null) return;
    const m = byId.get(id);
    if (!m) {
      problems.push(`${tier}.${field}: ${id} is not in lib/models.json`);
      return;
    }
    if (!(m.capabilities as string[]).includes(capability)) problems.push(`${tier}.${field}: ${id} lacks the ${capability} capability`);
    if (!registry.allowlist.includes(m.hf_repo)) problems.push(`${tier}.${field}: ${id} comes from ${m.hf_repo}, which is not allowlisted`);
    if (!m.recommended_for.includes(tier as (typeof tierNames)[number])) problems.push(`${tier}.${field}: ${id} does not list ${tier} in recommended_for`);
  };
  for (const name of tierNames) {
    const t = tiers[name];
    need(name, "defaultModel", t.defaultModel, "chat");
    need(name, "embeddingModel", t.embeddingModel, "embedding");
    need(name, "rerankModel", t.rerankModel, "rerank");
  }
  return problems;
}
