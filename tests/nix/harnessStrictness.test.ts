import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { evalHost, evalHostError, evalToplevel, nixMissing, nixpkgsLibMissing, repoRoot } from "./nixEval.js";

const missing = nixMissing ?? nixpkgsLibMissing;
if (missing) console.warn(`tests/nix/harnessStrictness: skipped: ${missing}`);

const mirrorDir = join(repoRoot, "tests/nix/harness/nixos");
const nixFilesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? nixFilesUnder(p) : n.endsWith(".nix") ? [p] : [];
  });

/** A bootable host on the small tier plus `extra` (Nix attribute definitions). */
const host = (extra: string) =>
  `({ lib, ... }: { nixpkgs.hostPlatform = "x86_64-linux"; fileSystems."/".device = "/dev/sda1"; boot.loader.grub.devices = [ "/dev/sda" ]; services.ai-stack = { enable = true; facts.systemRamGb = 16; }; ${extra} })`;

describe("the NixOS mirrors of the test harness (tests/nix/harness/nixos)", () => {
  const files = nixFilesUnder(mirrorDir).filter((f) => !f.endsWith("default.nix"));

  it("name the nixpkgs file and release each one mirrors", () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const f of files) {
      const header = readFileSync(f, "utf8").split("\n").filter((l) => l.startsWith("#")).join("\n");
      expect(header, relative(repoRoot, f)).toMatch(/Mirrors .*nixos\/(modules|lib)\/\S+\.nix/s);
      expect(header, relative(repoRoot, f)).toMatch(/25\.11/);
    }
  });

  it("declare nothing free-form beyond what nixpkgs itself leaves free-form", () => {
    for (const f of files) expect(readFileSync(f, "utf8"), relative(repoRoot, f)).not.toMatch(/types\.anything|attrsOf types\.unspecified/);
  });
});

describe.skipIf(missing !== null)("the harness evaluates like NixOS 25.11", () => {
  it("accepts a bootable host as it is", () => {
    expect(evalHost(host("")).failedAssertions).toEqual([]);
  });

  it("refuses a misspelled upstream option, naming it", () => {
    expect(evalHostError(host(`services.postgresql.ensureDatabase = [ "aidb" ];`), "toplevel")).toMatch(/The option `services\.postgresql\.ensureDatabase' does not exist/);
    expect(evalHostError(host(`zramSwap.memoryPercentage = 30;`), "toplevel")).toMatch(/The option `zramSwap\.memoryPercentage' does not exist/);
    expect(evalHostError(host(`systemd.services.ai-inference.servicConfig.Nice = 5;`), "toplevel")).toMatch(/`systemd\.services\.ai-inference\.servicConfig' does not exist/);
    // Upstream's scrape_config, static_config and redis server submodules are strict too.
    expect(
      evalHostError(host(`services.prometheus.scrapeConfigs = [ { job_name = "x"; static_config = [ { targets = [ "127.0.0.1:1" ]; } ]; } ];`), "toplevel"),
    ).toMatch(/static_config' does not exist/);
    expect(evalHostError(host(`services.redis.servers.ai-stack.maxMemory = "1gb";`), "toplevel")).toMatch(/services\.redis\.servers\.ai-stack\.maxMemory' does not exist/);
  });

  it("refuses a value of the wrong type, naming the option", () => {
    expect(evalHostError(host(`services.postgresql.settings.port = "5432";`), "toplevel")).toMatch(/services\.postgresql\.settings\.port' is not of type `16 bit unsigned integer/);
    expect(evalHostError(host(`zramSwap.memoryPercent = "25";`), "toplevel")).toMatch(/zramSwap\.memoryPercent' is not of type `signed integer'/);
    expect(evalHostError(host(`services.redis.servers.ai-stack.settings.maxmemory = 1.5;`), "toplevel")).toMatch(/services\.redis\.servers\.ai-stack\.settings\.maxmemory' is not of type/);
    // Unit dependencies must be unit names, as upstream's unitNameType says.
    expect(evalHostError(host(`systemd.services.ai-aidb.after = [ "postgresql" ];`), "toplevel")).toMatch(/systemd\.services\.ai-aidb\.after/);
    // serviceConfig values are checked like upstream's checkService.
    expect(evalHostError(host(`systemd.services.ai-aidb.serviceConfig.Restart = "sometimes";`), "toplevel")).toMatch(/Systemd Service field `Restart' cannot have value `sometimes'/);
  });

  it("catches a second mkDefault of vm.max_map_count: NixOS's sysctl.nix already sets mkDefault 1048576", () => {
    const clash = evalHostError(host(`boot.kernel.sysctl."vm.max_map_count" = lib.mkDefault 262144;`), "toplevel");
    expect(clash).toMatch(/The option `boot\.kernel\.sysctl\."vm\.max_map_count"' is defined multiple times/);
    expect(clash).toMatch(/harness\/nixos\/sysctl\.nix': 1048576/);
    expect(clash).toMatch(/: 262144/);
    // Even an equal value clashes: sysctl values merge as unique options.
    expect(evalHostError(host(`boot.kernel.sysctl."vm.max_map_count" = lib.mkDefault 1048576;`), "toplevel")).toMatch(/defined multiple times/);
    // A plain definition outranks NixOS's default, as on NixOS.
    expect(evalHost(host(`boot.kernel.sysctl."vm.max_map_count" = 2097152;`)).sysctl["vm.max_map_count"]).toBe(2097152);
  });

  it("applies upstream definitions that outrank ours: redis's vmOverCommit and every unit's PATH", () => {
    // redis.nix sets the string "1" at normal priority; our tier profile's mkDefault 1 yields.
    expect(evalHost(host(`services.redis.vmOverCommit = true;`)).sysctl["vm.overcommit_memory"]).toBe("1");
    // NixOS derives each unit's PATH from `path` at normal priority, so a plain PATH clashes (monitoring.nix uses mkForce).
    expect(evalHostError(host(`systemd.services.ai-aidb.environment.PATH = "/run/current-system/sw/bin";`), "toplevel")).toMatch(
      /The option `systemd\.services\.ai-aidb\.environment\.PATH' has conflicting definition values/,
    );
  });

  it("refuses an unfree package where nixpkgs would, and lets nixpkgs.config allow it", () => {
    const openWebui = `services.open-webui.enable = true;`;
    expect(evalHostError(host(openWebui), "toplevel")).toMatch(/Package ‘open-webui-[^’]+’ has an unfree license \(‘unknown’\), refusing to evaluate/);
    expect(evalToplevel(host(`${openWebui} nixpkgs.config.allowUnfree = true;`)).units).toHaveProperty(["open-webui.service"]);
    expect(
      evalToplevel(host(`${openWebui} nixpkgs.config.allowUnfreePredicate = pkg: builtins.elem (lib.getName pkg) [ "open-webui" ];`)).units,
    ).toHaveProperty(["open-webui.service"]);
  });

  it("mirrors upstream's free-form where upstream is free-form (Grafana's INI settings), with the declared keys typed", () => {
    expect(evalHost(host(`services.grafana.settings.panels.disable_sanitize_html = false;`)).failedAssertions).toEqual([]);
    expect(evalHostError(host(`services.grafana.settings.server.http_port = "3000";`), "toplevel")).toMatch(/services\.grafana\.settings\.server\.http_port' is not of type `16 bit unsigned integer/);
  });

  it("needs what NixOS needs to boot: a root file system and a boot loader", () => {
    const bare = `({ ... }: { nixpkgs.hostPlatform = "x86_64-linux"; services.ai-stack = { enable = true; facts.systemRamGb = 16; }; })`;
    const failed = evalHost(bare).failedAssertions;
    expect(failed).toEqual(expect.arrayContaining([expect.stringMatching(/does not specify your root file system/), expect.stringMatching(/boot\.loader\.grub\.devices/)]));
  });
});
