import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Why systemd-analyze cannot run here, or null. */
export const systemdAnalyzeMissing: string | null =
  spawnSync("sh", ["-c", "command -v systemd-analyze"], { stdio: "ignore" }).status === 0
    ? null
    : "systemd-analyze not found (Debian package systemd; scripts/provision.sh installs it)";

export interface SecurityScore {
  /** The "Overall exposure level" (0 = locked down, 10 = fully exposed). */
  exposure: number;
  /** Everything systemd printed on stderr: unknown keys and parse errors show up only here. */
  stderr: string;
  status: number;
  report: string;
}

const dir = mkdtempSync(join(tmpdir(), "ai-stack-units-"));

/** Scores a unit file with `systemd-analyze security --offline=true`, without a running systemd. */
export function scoreUnit(unitName: string, unitText: string): SecurityScore {
  const file = join(dir, `${unitName}.service`);
  writeFileSync(file, unitText);
  const r = spawnSync("systemd-analyze", ["security", "--offline=true", "--no-pager", file], { encoding: "utf8" });
  const match = /Overall exposure level for .*?: (\d+(?:\.\d+)?)/.exec(r.stdout);
  if (!match) throw new Error(`no exposure level for ${unitName}:\n${r.stdout}\n${r.stderr}`);
  return { exposure: Number(match[1]), stderr: r.stderr, status: r.status ?? -1, report: r.stdout };
}
