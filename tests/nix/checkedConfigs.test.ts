import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import ports from "../../lib/ports.json" with { type: "json" };
import { evalHost, nixMissing, nixpkgsLibMissing, repoRoot, type HostEval } from "./nixEval.js";

const missing = nixMissing ?? nixpkgsLibMissing;
if (missing) console.warn(`tests/nix/checkedConfigs: skipped: ${missing}`);

/** What the harness reports about a unit's checked config file (tests/nix/harness/eval-host.nix). */
interface ConfigCheck {
  /** The derivation's output: the file the unit reads. */
  path: string;
  /** Its build script. */
  buildCommand: string;
  /** Its input, the JSON file rendered from services.ai-stack.settings.<name> ($settings in the script). */
  settingsFile: string;
  /** That file's text. */
  json: string;
}
type CheckedHost = HostEval & { aqExe: string; configChecks: Record<string, ConfigCheck> };

/** settings.<name> of each unit, and the service whose schema reads it (lib.settingsServices). */
const units = {
  "ai-inference": { settings: "inference", service: "inference" },
  "ai-embeddings": { settings: "embeddings", service: "inference" },
  "ai-aidb": { settings: "aidb", service: "aidb" },
  "ai-coordinator": { settings: "coordinator", service: "coordinator" },
} as const;

const hostDirs = readdirSync(join(repoRoot, "hosts")).filter((n) => statSync(join(repoRoot, "hosts", n)).isDirectory());
const scratch = mkdtempSync(join(tmpdir(), "nix-checked-configs-"));
let runs = 0;

/**
 * Runs a config file's build script as the Nix build would (bash, errexit,
 * nounset, pipefail; $settings and $out set), with the package's `aq`
 * replaced by this checkout's bundle (dist/aq.js, built by the test setup).
 */
function runBuild(host: CheckedHost, check: ConfigCheck): { status: number | null; stdout: string; stderr: string; out: string } {
  const n = runs++;
  const settings = join(scratch, `settings-${n}.json`);
  const out = join(scratch, `out-${n}.json`);
  writeFileSync(settings, check.json);
  expect(check.buildCommand).toContain(host.aqExe);
  const aq = `'${process.execPath}' '${inject("aqBin")}'`;
  const script = check.buildCommand.split(host.aqExe).join(aq);
  const r = spawnSync("bash", ["--norc", "--noprofile", "-euo", "pipefail", "-c", script], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, settings, out },
  });
  let copied = "";
  try {
    copied = readFileSync(out, "utf8");
  } catch {
    // The build failed before writing $out.
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, out: copied };
}

/** A bootable host with the stack enabled on 16 GB and more `services.ai-stack` settings. */
const host = (extra = "") =>
  `({ lib, ... }: { nixpkgs.hostPlatform = "x86_64-linux"; fileSystems."/".device = "/dev/sda1"; boot.loader.grub.devices = [ "/dev/sda" ]; services.ai-stack = { enable = true; facts.systemRamGb = 16; ${extra} }; })`;

describe.skipIf(missing !== null)("generated service configs are checked at build time by the service's own loader", () => {
  let pi5: CheckedHost;
  beforeAll(() => {
    pi5 = evalHost<CheckedHost>("./hosts/pi5");
  });

  it("gives each unit the output of a derivation that runs `aq config check --service <service>` on that unit's settings", () => {
    expect(Object.keys(pi5.configChecks).sort()).toEqual(Object.keys(units).sort());
    for (const [unit, { settings, service }] of Object.entries(units)) {
      const check = pi5.configChecks[unit]!;
      const u = pi5.units[unit]!;
      // The unit reads the checked copy, not the rendered file.
      expect(u.environment.AI_STACK_CONFIG, unit).toBe(check.path);
      expect(u.serviceConfig.ExecStart, unit).toBe(`${pi5.aqExe} serve ${service} --config ${check.path}`);
      expect(check.path, unit).toMatch(new RegExp(`^/nix/store/\\w+-${unit}\\.json$`));
      expect(check.settingsFile, unit).not.toBe(check.path);
      // The build checks the rendered file with the package's aq, then copies it.
      expect(check.buildCommand, unit).toContain(`${pi5.aqExe} config check --service ${service} "$settings"`);
      expect(check.buildCommand, unit).toMatch(/cp "\$settings" "\$out"\s*$/);
      // The rendered file is exactly services.ai-stack.settings.<name>.
      expect(JSON.parse(check.json), unit).toEqual(pi5.settings[settings]);
    }
  });

  it("builds the checked file unchanged when the service accepts it", () => {
    const check = pi5.configChecks["ai-coordinator"]!;
    const r = runBuild(pi5, check);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.out).toBe(check.json);
  });

  it("fails the build, naming the key and the settings option, when a setting is one the service would refuse at boot", () => {
    // Evaluation accepts these (settings are free-form JSON); the build does not.
    const bad = evalHost<CheckedHost>(host(`settings.inference.queueLimit = -1; settings.coordinator.maxTokenz = 5;`));
    expect(bad.failedAssertions).toEqual([]);
    const inference = runBuild(bad, bad.configChecks["ai-inference"]!);
    expect(inference.status).not.toBe(0);
    expect(inference.stderr).toMatch(/invalid config "queueLimit": got -1 from file \S+; expected: /);
    expect(inference.stderr).toContain("services.ai-stack.settings.inference is not a valid inference config");
    expect(inference.out).toBe("");
    const coordinator = runBuild(bad, bad.configChecks["ai-coordinator"]!);
    expect(coordinator.status).not.toBe(0);
    expect(coordinator.stderr).toContain('unknown key "maxTokenz"');
    expect(coordinator.stderr).toContain("services.ai-stack.settings.coordinator is not a valid coordinator config");
    // The other units' files still build.
    expect(runBuild(bad, bad.configChecks["ai-aidb"]!).status).toBe(0);
  });

  it.each(hostDirs)("hosts/%s: every config the host's units read passes the service's check", (name) => {
    const h = evalHost<CheckedHost>(`./hosts/${name}`);
    const withConfig = Object.entries(h.units).filter(([, u]) => u.environment.AI_STACK_CONFIG !== undefined);
    expect(Object.keys(h.configChecks).sort()).toEqual(withConfig.map(([unit]) => unit).sort());
    expect(Object.keys(h.configChecks)).toEqual(expect.arrayContaining(["ai-inference", "ai-aidb", "ai-coordinator"]));
    for (const [unit, check] of Object.entries(h.configChecks)) {
      const service = units[unit as keyof typeof units].service;
      const r = runBuild(h, check);
      expect(`${r.status} ${r.stderr}`, `${name} ${unit}`).toBe("0 ");
      expect(r.stdout, `${name} ${unit}`).toMatch(new RegExp(`: valid ${service} config\\n$`));
      expect(r.out, `${name} ${unit}`).toBe(check.json);
    }
  });

  it("uses lib/ports.json for every rendered port (through services.ai-stack.ports)", () => {
    const rendered = Object.fromEntries(Object.entries(pi5.configChecks).map(([unit, c]) => [unit, (JSON.parse(c.json) as { port: number }).port]));
    expect(rendered).toEqual({
      "ai-inference": ports.inferenceChat,
      "ai-embeddings": ports.inferenceEmbed,
      "ai-aidb": ports.aidb,
      "ai-coordinator": ports.coordinator,
    });
  });
});
