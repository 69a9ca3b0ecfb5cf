import type { Variant } from "./SemanticCache.js";

/**
 * `AB_TEST_VARIANT_B_FRACTION`: about `fractionB` of the calls return "B".
 * 0 never does, 1 always does. Throws a RangeError outside 0..1.
 */
export function assignVariant(fractionB: number, random: () => number = Math.random): Variant {
  if (!Number.isFinite(fractionB) || fractionB < 0 || fractionB > 1) {
    throw new RangeError(`AB_TEST_VARIANT_B_FRACTION must be a number from 0 to 1, got ${fractionB}`);
  }
  return random() < fractionB ? "B" : "A";
}
