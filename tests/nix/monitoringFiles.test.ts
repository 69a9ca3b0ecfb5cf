import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./nixEval.js";

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
const promtoolMissing = has("promtool") ? null : "promtool not found (Debian package prometheus)";
const shellcheckMissing = has("shellcheck") ? null : "shellcheck not found (Debian package shellcheck)";
if (promtoolMissing) console.warn(`tests/nix/monitoringFiles: alert-rule check skipped: ${promtoolMissing}`);
if (shellcheckMissing) console.warn(`tests/nix/monitoringFiles: script lint skipped: ${shellcheckMissing}`);

describe("files the module builds from", () => {
  it("has the dashboards directory and the alert rules Grafana and Prometheus are pointed at", () => {
    expect(statSync(join(repoRoot, "nix/monitoring/dashboards")).isDirectory()).toBe(true);
    expect(existsSync(join(repoRoot, "nix/monitoring/alerts.yml"))).toBe(true);
  });

  it("checks the alert rules with promtool at build time and loads the checked copy into Prometheus", () => {
    const nix = readFileSync(join(repoRoot, "nix/modules/monitoring.nix"), "utf8");
    // The derivation's input is the rule file, its build runs promtool on it...
    expect(nix).toMatch(/rules\s*=\s*\.\.\/monitoring\/alerts\.yml\s*;/);
    expect(nix).toMatch(/promtool check rules "\$rules"/);
    expect(nix).toMatch(/nativeBuildInputs\s*=\s*\[[^\]]*prometheus/);
    // ...and Prometheus gets that derivation's output, not the raw file.
    expect(nix).toMatch(/alertRules\s*=\s*pkgs\.runCommand/);
    expect(nix).toMatch(/ruleFiles\s*=\s*\[\s*alertRules\s*\]/);
  });

  it("has promtool unit tests next to the alert rules", () => {
    expect(existsSync(join(repoRoot, "nix/monitoring/alerts.test.yml"))).toBe(true);
  });

  it.skipIf(promtoolMissing !== null)("has alert rules promtool accepts (the build runs the same check)", () => {
    const r = spawnSync("promtool", ["check", "rules", join(repoRoot, "nix/monitoring/alerts.yml")], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });

  it.skipIf(shellcheckMissing !== null)("has a download script shellcheck accepts (writeShellApplication runs it at build time)", () => {
    const r = spawnSync("shellcheck", ["-s", "bash", join(repoRoot, "nix/scripts/ai-model-download.sh")], { encoding: "utf8" });
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });
});
