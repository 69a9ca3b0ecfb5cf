import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import ports from "../../lib/ports.json" with { type: "json" };
import { aidbConfigSchema } from "../../services/aidb/aidbConfigSchema.js";
import { coordinatorConfigSchema } from "../../services/coordinator/coordinatorConfigSchema.js";
import { inferenceConfigSchema } from "../../services/inference/inferenceConfigSchema.js";
import { aiLib, evalHost, evalHostError, evalToplevel, nixEval, nixMissing, nixpkgsLibMissing, repoRoot } from "./nixEval.js";
import { scoreUnit, systemdAnalyzeMissing } from "./systemdAnalyze.js";

const missing = nixMissing ?? nixpkgsLibMissing;
if (missing) console.warn(`tests/nix/access: skipped: ${missing}`);

const allowOpenWebui = `nixpkgs.config.allowUnfreePredicate = pkg: builtins.elem (lib.getName pkg) [ "open-webui" ];`;
const host = (extra = "", options = "") =>
  `({ lib, ... }: { nixpkgs.hostPlatform = "x86_64-linux"; fileSystems."/".device = "/dev/sda1"; boot.loader.grub.devices = [ "/dev/sda" ]; services.ai-stack = { enable = true; facts.systemRamGb = 16; ${extra} }; ${options} })`;
const lan = `listen = { address = "192.168.1.10"; allowedNetworks = [ "192.168.1.0/24" ]; openFirewall = true; }; apiKeysFile = "/run/secrets/ai-keys";`;
const services = ["ai-inference", "ai-embeddings", "ai-aidb", "ai-coordinator"] as const;

describe.skipIf(missing !== null)("services.ai-stack.listen, keys and the audit writer (nix/modules/access.nix)", () => {
  it("refuses a listen address beyond loopback without apiKeysFile, naming the options to set, and stops the build there", () => {
    for (const address of ["192.168.1.10", "0.0.0.0", "::", "fd00::5"]) {
      const r = evalHost(host(`listen = { address = "${address}"; allowedNetworks = [ "192.168.1.0/24" ]; };`));
      expect(r.failedAssertions, address).toEqual([
        `services.ai-stack.listen.address = "${address}" opens ai-coordinator beyond this machine, but services.ai-stack.apiKeysFile is not set: anyone who can reach it could use the stack. Make keys with \`aq keys create --name NAME --scopes query --file FILE\`, keep FILE outside the Nix store and set services.ai-stack.apiKeysFile = FILE; or set services.ai-stack.listen.address = "127.0.0.1".`,
      ]);
    }
    expect(evalHostError(host(`listen.address = "192.168.1.10"; listen.allowedNetworks = [ "192.168.1.0/24" ];`), "toplevel")).toMatch(/Failed assertions:\s+- services\.ai-stack\.listen\.address = "192\.168\.1\.10" opens ai-coordinator beyond this machine/);
    // Loopback needs no keys, whatever its spelling.
    for (const address of ["127.0.0.1", "127.0.0.2", "::1", "localhost"]) expect(evalHost(host(`listen.address = "${address}";`)).failedAssertions, address).toEqual([]);
    // With keys but no client network, the unit's IP filter would drop every client: refused too.
    expect(evalHost(host(`listen.address = "192.168.1.10"; apiKeysFile = "/run/secrets/ai-keys";`)).failedAssertions).toEqual([
      expect.stringMatching(/^services\.ai-stack\.listen\.allowedNetworks is empty, so ai-coordinator's IPAddressAllow= admits loopback only/),
    ]);
    // The pure rule, as the services' isLoopbackAddress has it.
    expect(nixEval(`map ${aiLib}.isLoopback [ "127.0.0.1" "127.255.0.9" "::1" "0:0:0:0:0:0:0:1" "localhost" "0.0.0.0" "::" "10.0.0.1" "128.0.0.1" ]`)).toEqual([true, true, true, true, true, false, false, false, false]);
  });

  it("puts the coordinator (and Open WebUI) on the LAN address with its networks and firewall port; the other services stay on loopback", () => {
    const r = evalHost(host(`${lan} webUi.enable = true; ports.openWebui = 8090;`, allowOpenWebui));
    expect(r.failedAssertions).toEqual([]);
    expect(r.settings.coordinator).toMatchObject({ host: "192.168.1.10", port: ports.coordinator });
    for (const name of ["inference", "embeddings", "aidb"] as const) expect(r.settings[name].host, name).toBe("127.0.0.1");
    expect(r.units["ai-coordinator"]?.serviceConfig).toMatchObject({ IPAddressDeny: "any", IPAddressAllow: ["localhost", "192.168.1.0/24"] });
    for (const unit of ["ai-inference", "ai-embeddings", "ai-aidb"]) expect(r.units[unit]?.serviceConfig.IPAddressAllow, unit).toEqual(["localhost"]);
    expect(r.firewallTCPPorts.sort()).toEqual([ports.coordinator, 8090].sort());
    expect(r.openWebui).toMatchObject({ host: "192.168.1.10", port: 8090, openFirewall: false });
    expect(r.warnings).toContainEqual(expect.stringMatching(/^services\.ai-stack\.webUi: the coordinator enforces API keys/));
    // The rendered settings are what the services accept at boot (a LAN host with keys).
    expect(coordinatorConfigSchema.safeParse(r.settings.coordinator).error).toBeUndefined();
    expect(aidbConfigSchema.safeParse(r.settings.aidb).error).toBeUndefined();
    expect(inferenceConfigSchema.safeParse(r.settings.inference).error).toBeUndefined();
    // No open port without openFirewall.
    expect(evalHost(host(lan.replace("openFirewall = true;", ""))).firewallTCPPorts).toEqual([]);
  });

  it("gives every service the keys file and the internal key as credentials, never a path outside /run/credentials in its settings", () => {
    const r = evalHost(host(lan));
    for (const unit of services) {
      const u = r.units[unit]!;
      expect(u.serviceConfig.LoadCredential, unit).toEqual(expect.arrayContaining(["api-keys:/run/secrets/ai-keys", "internal-key:/var/lib/ai-stack-keys/internal-key"]));
      expect(u.after, unit).toEqual(expect.arrayContaining(["ai-stack-internal-key.service", "ai-stack-audit.service"]));
      expect(u.requires, unit).toContain("ai-stack-internal-key.service");
      expect(u.serviceConfig.SupplementaryGroups, unit).toContain("ai-audit");
    }
    const expectSettings = (name: "inference" | "embeddings" | "aidb" | "coordinator", unit: string) =>
      expect(r.settings[name], name).toMatchObject({
        apiKeysFile: `/run/credentials/${unit}.service/api-keys`,
        internalKeyFile: `/run/credentials/${unit}.service/internal-key`,
        auditSocket: "/run/ai-audit/audit.sock",
        rateLimitHigh: 10,
        rateLimitMedium: 60,
        rateLimitLow: 600,
        rateLimitPerKey: 1000,
        ingestDocumentsPerWindow: 100,
      });
    expectSettings("inference", "ai-inference");
    expectSettings("embeddings", "ai-embeddings");
    expectSettings("aidb", "ai-aidb");
    expectSettings("coordinator", "ai-coordinator");
    expect(JSON.stringify(r.settings)).not.toContain("/run/secrets");
    expect(r.extraUnits).toEqual(expect.arrayContaining(["ai-stack-audit", "ai-stack-internal-key"]));
    // Without keys: no key unit, no credentials, nothing enforced; the audit trail stays.
    const plain = evalHost(host());
    expect(plain.extraUnits).not.toContain("ai-stack-internal-key");
    expect(plain.units["ai-aidb"]?.serviceConfig).not.toHaveProperty("LoadCredential");
    expect(plain.settings.aidb).not.toHaveProperty("apiKeysFile");
    expect(plain.settings.aidb).toMatchObject({ auditSocket: "/run/ai-audit/audit.sock" });
  });

  it("sets the rate limits of every service from services.ai-stack.rateLimits, and the audit trail can be switched off", () => {
    const r = evalHost(host(`rateLimits = { high = 5; windowMs = 30000; ingestDocuments = 20; }; audit.enable = false;`));
    for (const name of ["inference", "embeddings", "aidb", "coordinator"] as const) {
      expect(r.settings[name], name).toMatchObject({ rateLimitHigh: 5, rateLimitWindowMs: 30000, ingestDocumentsPerWindow: 20 });
      expect(r.settings[name], name).not.toHaveProperty("auditSocket");
    }
    expect(r.extraUnits).not.toContain("ai-stack-audit");
    expect(r.units["ai-aidb"]?.serviceConfig.SupplementaryGroups).toBeUndefined();
  });

  it("renders the audit writer as its own user, owning its state (0700) and socket directory (0750), with a Unix socket only", () => {
    const t = evalToplevel(host(lan));
    const unit = t.units["ai-stack-audit.service"]!;
    expect(unit).toMatch(/^User=ai-audit$/m);
    expect(unit).toMatch(/^Group=ai-audit$/m);
    expect(unit).toMatch(/^DynamicUser=false$/m);
    expect(unit).toMatch(/^StateDirectory=ai-audit$/m);
    expect(unit).toMatch(/^StateDirectoryMode=0700$/m);
    expect(unit).toMatch(/^RuntimeDirectory=ai-audit$/m);
    expect(unit).toMatch(/^RuntimeDirectoryMode=0750$/m);
    expect(unit).toMatch(/^UMask=0077$/m);
    expect(unit).toMatch(/^RestrictAddressFamilies=AF_UNIX$/m);
    expect(unit).toMatch(/^IPAddressDeny=any$/m);
    expect(unit).toMatch(/^ExecStart=\/nix\/store\/\S+\/bin\/aq audit serve --socket \/run\/ai-audit\/audit\.sock --file \/var\/lib\/ai-audit\/audit\.jsonl --socket-mode 0660 --file-mode 0600$/m);
    expect(unit).toMatch(/^Before=.*ai-aidb\.service/m);
    if (!systemdAnalyzeMissing) {
      // As hardened as the services (they score at most 2.0), and every key known to systemd.
      const score = scoreUnit("ai-stack-audit", unit);
      expect(score.stderr).toBe("");
      expect(score.exposure).toBeLessThanOrEqual(2.0);
    }
    expect(t.users["ai-audit"]).toMatchObject({ group: "ai-audit", isSystemUser: true });
    expect(t.groups).toContain("ai-audit");
    // The services run as their own (dynamic) users, with the writer's group for the socket only.
    for (const s of services) {
      expect(t.units[`${s}.service`], s).toMatch(/^DynamicUser=true$/m);
      expect(t.units[`${s}.service`], s).toMatch(/^SupplementaryGroups=.*ai-audit/m);
    }
    const key = t.units["ai-stack-internal-key.service"]!;
    expect(key).toMatch(/^Type=oneshot$/m);
    expect(key).toMatch(/^StateDirectory=ai-stack-keys$/m);
    expect(key).toMatch(/^StateDirectoryMode=0700$/m);
    expect(key).toMatch(/^UMask=0077$/m);
    expect(key).toMatch(/^ExecStart=\/nix\/store\/\S+-ai-stack-internal-key\/bin\/ai-stack-internal-key \/var\/lib\/ai-stack-keys\/internal-key$/m);
  });
});

describe("nix/scripts/ai-stack-internal-key.sh", () => {
  const dir = mkdtempSync(join(tmpdir(), "internal-key-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(repoRoot, "nix/scripts/ai-stack-internal-key.sh");

  it("makes a 256-bit key once, 0600, prints nothing, and keeps it on the next start", () => {
    const file = join(dir, "internal-key");
    const first = spawnSync("bash", [script, file], { encoding: "utf8" });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout + first.stderr).toBe("");
    const key = readFileSync(file, "utf8");
    expect(key).toMatch(/^aqk_[A-Za-z0-9_-]{43}\n$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(spawnSync("bash", [script, file]).status).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(key);
    const other = join(dir, "other");
    spawnSync("bash", [script, other]);
    expect(readFileSync(other, "utf8")).not.toBe(key);
    // An empty file (a crash before the rename cannot leave one, but a person can) is replaced.
    writeFileSync(other, "");
    spawnSync("bash", [script, other]);
    expect(readFileSync(other, "utf8")).toMatch(/^aqk_/);
    expect(spawnSync("bash", [script]).status).not.toBe(0);
  });

  it.skipIf(spawnSync("shellcheck", ["--version"]).status !== 0)("passes shellcheck (writeShellApplication runs it at build time)", () => {
    const r = spawnSync("shellcheck", ["-s", "bash", script], { encoding: "utf8" });
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });
});
