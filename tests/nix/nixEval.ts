import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

/** Repository root; Nix expressions below use paths relative to it. */
export const repoRoot = resolve(import.meta.dirname, "../..");

function onPath(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Why the Nix tests cannot run here, or null when they can. */
export const nixMissing: string | null = onPath("nix-instantiate")
  ? null
  : "nix-instantiate not found (Debian package nix-bin; scripts/provision.sh installs it)";

/** Why the module tests cannot run here, or null when NIXPKGS_LIB points to a nixpkgs lib. */
export const nixpkgsLibMissing: string | null = (() => {
  const dir = process.env.NIXPKGS_LIB;
  if (!dir) return "NIXPKGS_LIB is not set (point it at a nixpkgs lib directory, e.g. a checkout of nix-community/nixpkgs.lib's lib/)";
  if (!existsSync(resolve(dir, "default.nix"))) return `NIXPKGS_LIB=${dir} has no default.nix`;
  return null;
})();

export interface NixResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs nix-instantiate in the repository root and returns what it printed. */
export function nixInstantiate(args: string[]): NixResult {
  const r = spawnSync("nix-instantiate", args, { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Evaluates a Nix expression strictly to JSON; throws with Nix's error text on failure. */
export function nixEval<T = unknown>(expr: string): T {
  const r = nixInstantiate(["--eval", "--strict", "--json", "-E", expr]);
  if (r.status !== 0) throw new Error(`nix evaluation failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Evaluates an expression that must fail; returns Nix's error text. */
export function nixEvalError(expr: string): string {
  const r = nixInstantiate(["--eval", "--strict", "--json", "-E", expr]);
  if (r.status === 0) throw new Error(`expected the evaluation to fail, got ${r.stdout}`);
  return r.stderr;
}

/** `import ./lib` as a Nix expression prefix. */
export const aiLib = "(import ./lib)";

/** Every tracked-or-new .nix file of the repository (not node_modules). */
export function nixFiles(): string[] {
  const out = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.nix"], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  return out.split("\n").filter((f) => f.length > 0);
}

/** A Nix string literal for a value (JSON strings are valid Nix strings once `$` is escaped). */
export function nixString(s: string): string {
  return JSON.stringify(s).replace(/\$\{/g, "\\${");
}

/** Evaluates nix/modules for a host (modules given as Nix source) through the test harness. */
export function evalHost<T = HostEval>(modulesNix: string): T {
  const lib = process.env.NIXPKGS_LIB;
  if (!lib) throw new Error(nixpkgsLibMissing ?? "NIXPKGS_LIB is not set");
  return nixEval<T>(`import ./tests/nix/harness/eval-host.nix { nixpkgsLib = ${nixString(lib)}; modules = [ ${modulesNix} ]; }`);
}

/** Like evalHost, for a configuration that must fail to evaluate; returns the error. */
export function evalHostError(modulesNix: string, force = "failedAssertions"): string {
  const lib = process.env.NIXPKGS_LIB ?? "";
  return nixEvalError(`(import ./tests/nix/harness/eval-host.nix { nixpkgsLib = ${nixString(lib)}; modules = [ ${modulesNix} ]; }).${force}`);
}

export interface UnitEval {
  serviceConfig: Record<string, unknown>;
  after: string[];
  requires: string[];
  wantedBy: string[];
  environment: Record<string, string>;
}

export interface HostEval {
  failedAssertions: string[];
  warnings: string[];
  tier: string;
  ports: Record<string, number | null>;
  model: string;
  embeddingModel: string | null;
  rerankModel: string | null;
  settings: Record<"inference" | "embeddings" | "aidb" | "coordinator", Record<string, unknown>>;
  downloadIds: string[];
  units: Record<string, UnitEval>;
  unitConfigs: Record<string, Record<string, unknown>>;
  /** The ai-gpu-metrics unit, on hosts that run it. */
  gpuMetricsUnit: { serviceConfig: Record<string, unknown> & { ExecStart: string; DeviceAllow?: string[] }; environment: Record<string, string>; wantedBy: string[] } | null;
  packageArgs: Record<string, unknown> | null;
  sysctl: Record<string, number | string | boolean>;
  kernelParams: string[];
  kernelModules: string[];
  zram: Record<string, unknown>;
  thermald: boolean;
  postgresql: { enable: boolean; enableTCPIP: boolean | null; port: number | null; ensureDatabases: string[]; ensureUsers: Array<Record<string, unknown>> };
  postgresqlSetup: string;
  redis: Record<string, Record<string, unknown>>;
  prometheus: { enable: boolean; listenAddress: string | null; scrapeTargets: Array<{ job: string; targets: string[] }>; nodeCollectors: string[] };
  grafana: { enable: boolean; datasources: Array<Record<string, unknown>>; dashboardPaths: string[]; httpAddr: string | null };
  openWebui: Record<string, unknown>;
  qdrant: Record<string, unknown>;
  tmpfiles: string[];
}
