import { describe, expect, it } from "vitest";
import { aiLib, nixEval, nixEvalError, nixMissing } from "./nixEval.js";

if (nixMissing) console.warn(`tests/nix/hardwareTier: skipped: ${nixMissing}`);

interface Facts {
  systemRamGb: number;
  hasDiscreteGpu?: boolean;
  cpuArchitecture?: string;
}

function nixFacts(f: Facts): string {
  const parts = [`systemRamGb = ${f.systemRamGb};`];
  if (f.hasDiscreteGpu !== undefined) parts.push(`hasDiscreteGpu = ${f.hasDiscreteGpu};`);
  if (f.cpuArchitecture !== undefined) parts.push(`cpuArchitecture = "${f.cpuArchitecture}";`);
  return `{ ${parts.join(" ")} }`;
}

/** Evaluates hardwareTier for many fact sets in one nix-instantiate call. */
function tiers(facts: Facts[]): string[] {
  return nixEval<string[]>(`map ${aiLib}.hardwareTier [ ${facts.map(nixFacts).join(" ")} ]`);
}

describe.skipIf(nixMissing !== null)("lib/hardware-tier.nix", () => {
  it("gives the issue's required results", () => {
    expect(
      tiers([
        { systemRamGb: 8, hasDiscreteGpu: false, cpuArchitecture: "aarch64" },
        { systemRamGb: 2 },
        { systemRamGb: 27, hasDiscreteGpu: false, cpuArchitecture: "x86_64" },
        { systemRamGb: 64 },
      ]),
    ).toEqual(["micro", "nano", "medium", "large"]);
  });

  it("puts each RAM bound in the lower tier and the next GB in the upper one", () => {
    const cases: Array<[number, string]> = [
      [0.5, "nano"],
      [2, "nano"],
      [2.5, "micro"],
      [3, "micro"],
      [8, "micro"],
      [9, "small"],
      [16, "small"],
      [17, "medium"],
      [32, "medium"],
      [33, "large"],
      [1024, "large"],
    ];
    expect(tiers(cases.map(([ram]) => ({ systemRamGb: ram })))).toEqual(cases.map(([, tier]) => tier));
  });

  it("promotes small and medium hosts with a discrete GPU by one tier, and no others", () => {
    expect(tiers([2, 8, 16, 32, 64].map((ram) => ({ systemRamGb: ram, hasDiscreteGpu: true })))).toEqual([
      "nano",
      "micro",
      "medium",
      "large",
      "large",
    ]);
  });

  it("caps riscv64 at small and 32-bit architectures at micro; aarch64 is not capped", () => {
    expect(
      tiers([
        { systemRamGb: 64, cpuArchitecture: "riscv64" },
        { systemRamGb: 8, cpuArchitecture: "riscv64" },
        { systemRamGb: 64, cpuArchitecture: "armv7l" },
        { systemRamGb: 64, cpuArchitecture: "i686" },
        { systemRamGb: 2, cpuArchitecture: "armv6l" },
        { systemRamGb: 64, cpuArchitecture: "aarch64" },
        { systemRamGb: 32, hasDiscreteGpu: true, cpuArchitecture: "riscv64" },
      ]),
    ).toEqual(["small", "micro", "micro", "micro", "nano", "large", "small"]);
  });

  it("refuses nonsense facts with a message naming the fact", () => {
    expect(nixEvalError(`${aiLib}.hardwareTier { systemRamGb = 0; }`)).toMatch(/systemRamGb must be positive/);
    expect(nixEvalError(`${aiLib}.hardwareTier { systemRamGb = "8"; }`)).toMatch(/systemRamGb must be a number/);
    expect(nixEvalError(`${aiLib}.hardwareTier { systemRamGb = 8; cpuArchitecture = "sparc"; }`)).toMatch(/unknown cpuArchitecture 'sparc'/);
    expect(nixEvalError(`${aiLib}.hardwareTier { systemRamGb = 8; hasDiscreteGpu = "yes"; }`)).toMatch(/hasDiscreteGpu must be a boolean/);
  });

  it("reads its RAM bounds from lib/tiers.json", () => {
    const bounds = nixEval<Record<string, number | null>>(`builtins.mapAttrs (_: t: t.ramMaxGb) ${aiLib}.tiers`);
    expect(bounds).toEqual({ nano: 2, micro: 8, small: 16, medium: 32, large: null });
  });
});
