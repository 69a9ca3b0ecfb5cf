import { describe, expect, it } from "vitest";
import { aiLib, nixEval, nixMissing } from "./nixEval.js";

if (nixMissing) console.warn(`tests/nix/sysctl: skipped: ${nixMissing}`);

describe.skipIf(nixMissing !== null)("sysctl profiles (lib/sysctl.nix)", () => {
  const profiles = () => nixEval<Record<string, Record<string, number>>>(`let l = ${aiLib}; in builtins.listToAttrs (map (t: { name = t; value = l.sysctlProfile t; }) l.tierNames)`);

  it("sets vm.overcommit_memory=1 on every tier", () => {
    const p = profiles();
    expect(Object.keys(p)).toEqual(["large", "medium", "micro", "nano", "small"]);
    for (const tier of Object.values(p)) expect(tier["vm.overcommit_memory"]).toBe(1);
  });

  it("uses the zram-friendly profile on nano and micro, and keeps the model resident on large", () => {
    const p = profiles();
    for (const t of ["nano", "micro"]) {
      expect(p[t]?.["vm.swappiness"]).toBe(100);
      expect(p[t]?.["vm.page-cluster"]).toBe(0);
    }
    expect(p.large?.["vm.swappiness"]).toBe(10);
    // NixOS already sets vm.max_map_count = mkDefault 1048576 (above Qdrant's 262144);
    // a second mkDefault would not evaluate (moduleHosts checks the value hosts get).
    for (const tier of Object.values(p)) expect(tier).not.toHaveProperty("vm.max_map_count");
  });

  it("turns NUMA balancing off on small and up, and marks the key as architecture-specific", () => {
    const p = profiles();
    for (const t of ["small", "medium", "large"]) expect(p[t]?.["kernel.numa_balancing"]).toBe(0);
    for (const t of ["nano", "micro"]) expect(p[t]).not.toHaveProperty("kernel.numa_balancing");
    expect(nixEval(`${aiLib}.archSpecificKeys."kernel.numa_balancing"`)).toEqual(["x86_64", "aarch64"]);
  });

  it("sizes reserved huge pages (2 MiB) to cover the model", () => {
    expect(nixEval(`map ${aiLib}.hugePagesFor [ 1 10.5 0.3 ]`)).toEqual([512, 5376, 154]);
  });
});
