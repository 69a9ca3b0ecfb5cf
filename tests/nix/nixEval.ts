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

/** nixpkgs' lib vendored next to the repository (../shared/vendor/nixpkgs-lib/lib from the repository root). */
export const vendoredNixpkgsLib = resolve(repoRoot, "../shared/vendor/nixpkgs-lib/lib");

/** The nixpkgs lib directory the module tests use: NIXPKGS_LIB when set, else the vendored copy when it exists. */
export const nixpkgsLib: string | null = process.env.NIXPKGS_LIB || (existsSync(resolve(vendoredNixpkgsLib, "default.nix")) ? vendoredNixpkgsLib : null);

/** Why the module tests cannot run here, or null when a nixpkgs lib was found. */
export const nixpkgsLibMissing: string | null = (() => {
  const dir = process.env.NIXPKGS_LIB;
  if (dir) return existsSync(resolve(dir, "default.nix")) ? null : `NIXPKGS_LIB=${dir} has no default.nix`;
  if (nixpkgsLib) return null;
  return "no nixpkgs lib: NIXPKGS_LIB is not set and ../shared/vendor/nixpkgs-lib/lib (next to the repository) does not exist; point NIXPKGS_LIB at a nixpkgs lib/ directory, e.g. a checkout of nix-community/nixpkgs.lib's lib/";
})();

export interface NixResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment nix-instantiate runs in. The tests only evaluate, never
 * build, so they need no build users: an empty build-users-group keeps Nix
 * from warning on stderr when the machine's nix.conf names a `nixbld` group
 * that does not exist (Debian's nix-bin on a fresh machine).
 */
const nixEnv = { ...process.env, NIX_CONFIG: [process.env.NIX_CONFIG, "build-users-group ="].filter(Boolean).join("\n") };

/** Runs nix-instantiate in the repository root and returns what it printed. */
export function nixInstantiate(args: string[]): NixResult {
  const r = spawnSync("nix-instantiate", args, { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: nixEnv });
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

/** The harness expression for a host: nix/modules plus `modulesNix`, evaluated with the nixpkgs mirrors. */
export function hostExpr(modulesNix: string): string {
  return `import ./tests/nix/harness/eval-host.nix { nixpkgsLib = ${nixString(nixpkgsLib ?? "")}; modules = [ ${modulesNix} ]; }`;
}

/**
 * Evaluates what building the host would evaluate (the harness's `toplevel`):
 * it throws on a failed assertion as NixOS does, then renders every systemd
 * unit, the sysctl file, users and tmpfiles, so every option value and every
 * package a unit references is forced (an unfree package refuses here).
 */
export function evalToplevel<T = Toplevel>(modulesNix: string): T {
  if (!nixpkgsLib) throw new Error(nixpkgsLibMissing ?? "no nixpkgs lib");
  return nixEval<T>(`(${hostExpr(modulesNix)}).toplevel`);
}

/** Evaluates nix/modules for a host (modules given as Nix source) through the test harness. */
export function evalHost<T = HostEval>(modulesNix: string): T {
  if (!nixpkgsLib) throw new Error(nixpkgsLibMissing ?? "no nixpkgs lib");
  return nixEval<T>(`builtins.removeAttrs (${hostExpr(modulesNix)}) [ "toplevel" ]`);
}

/** Like evalHost, for a configuration that must fail to evaluate; returns the error. */
export function evalHostError(modulesNix: string, force = "failedAssertions"): string {
  return nixEvalError(`(${hostExpr(modulesNix)}).${force}`);
}

export interface Toplevel {
  /** Unit file text per unit name (`ai-inference.service`, `postgresql.target`, ...), rendered as NixOS renders it. */
  units: Record<string, string>;
  /** /etc/sysctl.d/60-nixos.conf. */
  sysctl: string;
  /** zram-generator.conf sections, when zram swap is on. */
  zramGenerator: Record<string, { "zram-size": string; "compression-algorithm": string; "swap-priority": number }>;
  tmpfiles: string[];
  users: Record<string, { group: string; isSystemUser: boolean; uid: number | null }>;
  groups: string[];
  firewallTCPPorts: number[];
  warnings: string[];
}

/** lib.memoryBudget's result (lib/memory-budget.nix). */
export interface MemoryBudget {
  units: Record<string, { needMiB: number; heapMiB: number; runtimeMiB: number; memoryHigh: string; memoryMax: string; parts: { what: string; mib: number }[]; vramMiB?: number }>;
  dependencies: Record<string, number>;
  totalMiB: number;
  osReserveMiB: number;
  availableMiB: number;
  fits: boolean;
  vram: { needMiB: number; availableMiB: number; fits: boolean; gpuLayers: number; totalLayers: number; reserveMiB: number };
  describe: string;
  knobs: { contextSize: number; sequences: number; batchSize: number; kvCacheType: string; model: string; gpuLayers: number };
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
  zram: { enable: boolean; algorithm: string; memoryPercent: number };
  thermald: boolean;
  /** hardware.graphics.enable: the driver set at /run/opengl-driver. */
  graphics: boolean;
  /** hardware.graphics.extraPackages by name (the NVIDIA driver's, where it is on). */
  graphicsPackages: string[];
  videoDrivers: string[];
  nvidiaOpen: boolean | null;
  memoryBudget: MemoryBudget;
  postgresql: {
    enable: boolean;
    enableTCPIP: boolean;
    port: number;
    listenAddresses: string | null;
    extensions: string[];
    ensureDatabases: string[];
    ensureUsers: Array<{ name: string; ensureDBOwnership: boolean }>;
  };
  postgresqlSetup: string;
  redis: Record<string, { enable: boolean; bind: string | null; port: number; settings: Record<string, unknown> }>;
  prometheus: {
    enable: boolean;
    listenAddress: string;
    port: number;
    scrapeTargets: Array<{ job: string; targets: string[] }>;
    nodeEnabled: boolean;
    nodeCollectors: string[];
    nodeDisabledCollectors: string[];
    nodeExecStart: string | null;
  };
  grafana: { enable: boolean; datasources: Array<Record<string, unknown>>; dashboardPaths: string[]; httpAddr: string };
  openWebui: Record<string, unknown>;
  qdrant: { enable: boolean; settings: Record<string, unknown> | null };
  extraUnits: string[];
  firewallTCPPorts: number[];
  tmpfiles: string[];
}
