import { describe, expect, it } from "vitest";
import { nixEval, nixMissing } from "./nixEval.js";

if (nixMissing) console.warn(`tests/nix/libCases: skipped: ${nixMissing}`);

describe.skipIf(nixMissing !== null)("nix/tests/lib-cases.nix (the flake's lib-eval check)", () => {
  it("has no failing case", () => {
    expect(nixEval("import ./nix/tests/lib-cases.nix")).toEqual([]);
  });

  it("would report a failing case with its name, expectation and result", () => {
    // The same filter over a deliberately wrong case.
    const failures = nixEval(
      `let cases = { wrong = { expr = (import ./lib).hardwareTier { systemRamGb = 2; }; expected = "large"; }; }; in map (n: { name = n; inherit (cases.\${n}) expected; result = cases.\${n}.expr; }) (builtins.filter (n: cases.\${n}.expr != cases.\${n}.expected) (builtins.attrNames cases))`,
    );
    expect(failures).toEqual([{ name: "wrong", expected: "large", result: "nano" }]);
  });
});
