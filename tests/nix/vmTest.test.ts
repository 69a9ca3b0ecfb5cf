import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./nixEval.js";

/**
 * nix/tests/ai-stack.nix cannot run here (it needs NixOS and KVM), so these
 * checks read its test script: the egress check must fail for the right
 * reason, not for any reason.
 */
describe("the VM test's egress check (nix/tests/ai-stack.nix)", () => {
  const source = readFileSync(join(repoRoot, "nix/tests/ai-stack.nix"), "utf8");
  const script = source.slice(source.indexOf("testScript"));

  it("expects curl's exit 7 (could not connect) under the units' address policy, not just any failure", () => {
    // A bare machine.fail() passes on a missing curl (127), a DNS error (6) or a timeout (28) too.
    expect(script).not.toMatch(/machine\.fail\([^)]*curl/s);
    const negative = /(\w+), \w+ = machine\.execute\(f"\{sandboxed\} \{curl\} [^"]*\{outside\}"\)\s*\n\s*assert \1 == 7\b/.exec(script);
    expect(negative, "machine.execute(sandboxed curl outside) followed by assert status == 7").not.toBeNull();
  });

  it("applies the units' address policy in the sandbox it tests", () => {
    expect(script).toMatch(/sandboxed = "systemd-run --wait --pipe --quiet -p IPAddressDeny=any -p IPAddressAllow=localhost"/);
  });

  it("proves curl runs in that sandbox (positive control on loopback) and that the outside node is up", () => {
    expect(script).toMatch(/machine\.succeed\(f"\{sandboxed\} \{curl\} -sf [^"]*\{coordinator\}\/status"\)/);
    expect(script).toMatch(/machine\.succeed\(f"\{curl\} -sf [^"]*\{outside\}"\)/);
  });

  it("names the outside node by address and curl by store path, so neither name resolution nor PATH can be what fails", () => {
    expect(script).toMatch(/outside = "http:\/\/\$\{nodes\.outside\.networking\.primaryIPAddress\}\/"/);
    expect(script).toMatch(/curl = "\$\{lib\.getExe pkgs\.curl\}"/);
  });
});
