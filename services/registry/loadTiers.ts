import tiersJson from "../../lib/tiers.json" with { type: "json" };
import { tiersSchema, type Tiers } from "./tiersSchema.js";

/** lib/tiers.json, validated. Throws a ZodError naming the field when the file is invalid. */
export function loadTiers(json: unknown = tiersJson): Tiers {
  return tiersSchema.parse(json);
}
