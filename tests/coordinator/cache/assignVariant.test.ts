import { describe, expect, it } from "vitest";
import { assignVariant } from "../../../services/coordinator/cache/assignVariant.js";

/** A deterministic uniform sequence 0, 1/n, 2/n, ... */
const sequence = (n: number) => {
  let i = 0;
  return () => (i++ % n) / n;
};

describe("assignVariant", () => {
  it("never assigns B at 0 and always at 1", () => {
    for (const r of [0, 0.5, 0.999999]) {
      expect(assignVariant(0, () => r)).toBe("A");
      expect(assignVariant(1, () => r)).toBe("B");
    }
  });

  it("assigns B to the given fraction of a uniform sequence", () => {
    const random = sequence(1000);
    const b = Array.from({ length: 1000 }, () => assignVariant(0.3, random)).filter((v) => v === "B").length;
    expect(b).toBe(300);
  });

  it("assigns about the fraction with Math.random", () => {
    const n = 20_000;
    const b = Array.from({ length: n }, () => assignVariant(0.25)).filter((v) => v === "B").length;
    expect(b / n).toBeGreaterThan(0.23);
    expect(b / n).toBeLessThan(0.27);
  });

  it("refuses fractions outside 0..1, naming the setting", () => {
    for (const bad of [-0.1, 1.01, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => assignVariant(bad)).toThrow(/AB_TEST_VARIANT_B_FRACTION/);
  });
});
