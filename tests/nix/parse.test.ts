import { describe, expect, it } from "vitest";
import { nixFiles, nixInstantiate, nixMissing } from "./nixEval.js";

if (nixMissing) console.warn(`tests/nix/parse: skipped: ${nixMissing}`);

describe.skipIf(nixMissing !== null)("every .nix file parses", () => {
  const files = nixFiles();

  it("finds the flake, the library, the modules, the hosts and the tests", () => {
    for (const f of ["flake.nix", "lib/default.nix", "lib/hardware-tier.nix", "nix/modules/default.nix", "nix/package.nix", "nix/tests/ai-stack.nix", "hosts/common.nix", "hosts/pi5/facts.nix"]) {
      expect(files).toContain(f);
    }
  });

  it.each(files)("%s", (file) => {
    const r = nixInstantiate(["--parse", file]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("rejects a file with a syntax error (the check can fail)", () => {
    const r = nixInstantiate(["--parse", "-E", "{ a = 1; "]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/syntax error/);
  });
});
