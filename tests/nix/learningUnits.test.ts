import { describe, expect, it } from "vitest";
import { aiLib, nixEval, nixMissing, nixpkgsLib, nixpkgsLibMissing, nixString } from "./nixEval.js";
import tiers from "../../lib/tiers.json" with { type: "json" };
import { renderUnit } from "./renderUnit.js";
import { scoreUnit, systemdAnalyzeMissing } from "./systemdAnalyze.js";

type Units = Record<string, Record<string, unknown>>;
const learningUnits = ["ai-continuous-learning", "ai-eval", "ai-gc", "ai-learning-proposals", "ai-sync-knowledge-sources"];
const timed = ["ai-eval", "ai-gc", "ai-learning-proposals", "ai-sync-knowledge-sources"];

const scoreMissing = nixMissing ?? systemdAnalyzeMissing;
describe.skipIf(scoreMissing !== null)("the learning loop's units score <= 2.0 with systemd-analyze security", () => {
  const variants: Record<string, Units> = scoreMissing
    ? {}
    : nixEval<Record<string, Units>>(`let l = ${aiLib}; in builtins.listToAttrs (map (t: { name = t; value = l.learningUnitConfigs { tier = t; }; }) l.tierNames)`);
  const cases = Object.entries(variants).flatMap(([tier, units]) => Object.entries(units).map(([unit, config]) => [tier, unit, config] as const));

  it("covers every learning unit on every tier", () => {
    expect(cases.length).toBe(5 * learningUnits.length);
    expect(Object.keys(variants.micro ?? {}).sort()).toEqual(learningUnits);
  });

  it.each(cases)("%s %s", (tier, unit, config) => {
    const score = scoreUnit(`learning-${tier}-${unit}`, renderUnit(unit, config));
    expect(score.stderr).toBe("");
    expect(score.exposure).toBeLessThanOrEqual(2.0);
  });

  it("with the /home relaxation (a source directory there) too", () => {
    const score = scoreUnit("learning-sync-home", renderUnit("sync", { ...variants.micro!["ai-sync-knowledge-sources"], ProtectHome: "read-only" }));
    expect(score.stderr).toBe("");
    expect(score.exposure).toBeLessThanOrEqual(2.0);
  });
});

describe.skipIf(nixMissing !== null)("lib.learningUnitConfigs and lib.learningTimers", () => {
  const micro = nixMissing ? {} : nixEval<Units>(`${aiLib}.learningUnitConfigs { tier = "micro"; }`);

  it("puts every unit on the hardening baseline; only the sync unit reaches beyond loopback", () => {
    for (const unit of learningUnits) {
      expect(micro[unit], unit).toMatchObject({ DynamicUser: true, PrivateTmp: true, ProtectSystem: "strict", NoNewPrivileges: true, CapabilityBoundingSet: "", MemoryMax: tiers.micro.memoryMax });
      if (unit === "ai-sync-knowledge-sources") {
        expect(micro[unit]).not.toHaveProperty("IPAddressDeny");
        expect(micro[unit]).not.toHaveProperty("IPAddressAllow");
      } else {
        expect(micro[unit], unit).toMatchObject({ IPAddressDeny: "any", IPAddressAllow: ["localhost"] });
      }
    }
    for (const unit of timed) expect(micro[unit]?.Type, unit).toBe("oneshot");
    // The daemon reads the coordinator's telemetry as the coordinator's (dynamic) user.
    expect(micro["ai-continuous-learning"]).toMatchObject({ User: "ai-coordinator", StateDirectory: ["ai-coordinator", "ai-continuous-learning"], RestartPreventExitStatus: "2 3" });
  });

  it("gives each relaxation a reason", () => {
    const reasons = nixEval<Record<string, string>>(`${aiLib}.relaxationReasons`);
    for (const key of ["IPAddressDeny", "ProtectHome", "User"]) expect(reasons[key], key).toMatch(/^\S+(\s+\S+){5,}/);
    expect(reasons.IPAddressDeny).toMatch(/ai-sync-knowledge-sources/);
  });

  it("schedules gc, sync and the proposals weekly and the eval after start-up too", () => {
    const timers = nixEval<Record<string, Record<string, unknown>>>(`${aiLib}.learningTimers`);
    expect(Object.keys(timers).sort()).toEqual(timed);
    expect(timers["ai-eval"]).toMatchObject({ OnBootSec: "10min", OnCalendar: "weekly" });
    for (const t of timed) expect(timers[t]?.Persistent, t).toBe(true);
  });
});

const moduleMissing = nixMissing ?? nixpkgsLibMissing;

/** nix/modules on a host (pi5) plus `extra`: the learning units, their timers and the registry derivation. */
function evalLearning(extra: string) {
  return nixEval<{
    services: Record<string, { serviceConfig: Record<string, unknown>; environment: Record<string, string>; after: string[]; wantedBy: string[] }>;
    timers: Record<string, { timerConfig: Record<string, unknown>; wantedBy: string[] }>;
    registry: { json: unknown; buildCommand: string; path: string };
    coordinator: Record<string, unknown>;
    warnings: string[];
  }>(`
    let
      lib = import ${nixString(nixpkgsLib ?? "")};
      eval = lib.evalModules { modules = [ ./tests/nix/harness/nixos ./nix/modules ./hosts/pi5 (${extra}) ]; };
      c = eval.config;
      names = [ ${learningUnits.map((u) => `"${u}"`).join(" ")} ];
      pick = n: { inherit (c.systemd.services.\${n}) serviceConfig environment after wantedBy; };
      drv = c.services.ai-stack.learning.registryFile;
    in {
      services = builtins.listToAttrs (map (n: { name = n; value = pick n; }) (builtins.filter (n: c.systemd.services ? \${n}) names));
      timers = builtins.mapAttrs (_: t: { inherit (t) timerConfig wantedBy; }) c.systemd.timers;
      registry = { json = drv.registry.value; inherit (drv) buildCommand; path = drv.outPath; };
      coordinator = c.services.ai-stack.settings.coordinator;
      warnings = c.warnings;
    }`);
}

describe.skipIf(moduleMissing !== null)("nix/modules/learning.nix on a host", () => {
  it("runs each job through aq with the checked registry, on timers, after the services it needs", () => {
    const r = evalLearning(`{
      services.ai-stack.knowledgeSources = {
        allowHosts = [ "nixos.org" ];
        sources = [ { id = "manual"; type = "url"; url = "https://nixos.org/manual/nixos/stable/"; project = "nixos"; } ];
      };
      services.ai-stack.learning.schedules.ai-gc = "daily";
    }`);
    expect(Object.keys(r.services).sort()).toEqual(learningUnits);
    const exec = (u: string) => String(r.services[u]!.serviceConfig.ExecStart);
    expect(exec("ai-gc")).toMatch(/\/bin\/aq gc --url http:\/\/127\.0\.0\.1:8002$/);
    expect(exec("ai-sync-knowledge-sources")).toContain(`sources sync --registry ${r.registry.path} --url http://127.0.0.1:8002`);
    expect(exec("ai-eval")).toMatch(/aq eval --wait-ready 300 --url http:\/\/127\.0\.0\.1:8003 --aidb-url http:\/\/127\.0\.0\.1:8002 --inference-url http:\/\/127\.0\.0\.1:8080$/);
    expect(exec("ai-learning-proposals")).toMatch(/aq proposals generate --url http:\/\/127\.0\.0\.1:8003$/);
    expect(exec("ai-continuous-learning")).toContain("continuous-learning --telemetry-file /var/lib/ai-coordinator/telemetry.jsonl --state-dir /var/lib/ai-continuous-learning");
    expect(r.services["ai-eval"]!.after).toEqual(["ai-coordinator.service"]);
    expect(r.services["ai-sync-knowledge-sources"]!.after).toEqual(["ai-aidb.service", "network-online.target"]);
    expect(r.services["ai-continuous-learning"]!.wantedBy).toEqual(["multi-user.target"]);
    // The registry as rendered, and checked at build time by the CLI's own schema.
    const registry = typeof r.registry.json === "string" ? JSON.parse(r.registry.json) : r.registry.json;
    expect(registry).toEqual({ allowHosts: ["nixos.org"], allowPrivateAddresses: [], sources: [{ id: "manual", type: "url", url: "https://nixos.org/manual/nixos/stable/", project: "nixos" }] });
    expect(r.registry.buildCommand).toMatch(/\/bin\/aq sources check --registry "\$registry"/);
    // Timers: one per job, the schedule overridable.
    expect(Object.keys(r.timers).sort()).toEqual(timed);
    expect(r.timers["ai-gc"]).toMatchObject({ wantedBy: ["timers.target"], timerConfig: { OnCalendar: "daily", Unit: "ai-gc.service", Persistent: true } });
    expect(r.timers["ai-eval"]!.timerConfig).toMatchObject({ OnBootSec: "10min", OnCalendar: "weekly" });
    // No /home source: no relaxation; no keys: no credentials.
    expect(r.services["ai-sync-knowledge-sources"]!.serviceConfig.ProtectHome).toBe(true);
    expect(r.services["ai-gc"]!.serviceConfig).not.toHaveProperty("LoadCredential");
    expect(r.coordinator).not.toHaveProperty("learningAutoApply");
    expect(r.warnings).toEqual([]);
  });

  it("relaxes ProtectHome only for a source under /home, presents keys when they are enforced, and warns without an admin key for gc", () => {
    const r = evalLearning(`{
      services.ai-stack.apiKeysFile = "/run/keys/ai-stack-keys";
      services.ai-stack.learning.autoApply = true;
      services.ai-stack.knowledgeSources.sources = [ { id = "notes"; type = "local_directory"; path = "/home/me/notes"; project = "notes"; } ];
    }`);
    expect(r.services["ai-sync-knowledge-sources"]!.serviceConfig.ProtectHome).toBe("read-only");
    for (const u of ["ai-gc", "ai-sync-knowledge-sources", "ai-eval", "ai-learning-proposals"]) {
      expect(r.services[u]!.serviceConfig.LoadCredential, u).toEqual(["internal-key:/var/lib/ai-stack-keys/internal-key"]);
      expect(r.services[u]!.environment.AQ_API_KEY_FILE, u).toBe(`/run/credentials/${u}.service/internal-key`);
    }
    expect(r.warnings.some((w) => w.startsWith("services.ai-stack.learning.adminKeyFile is not set"))).toBe(true);
    expect(r.coordinator.learningAutoApply).toBe(true);

    const admin = evalLearning(`{ services.ai-stack.apiKeysFile = "/run/keys/k"; services.ai-stack.learning.adminKeyFile = "/run/keys/admin"; }`);
    expect(admin.services["ai-gc"]!.serviceConfig.LoadCredential).toEqual(["admin-key:/run/keys/admin"]);
    expect(admin.services["ai-gc"]!.environment.AQ_API_KEY_FILE).toBe("/run/credentials/ai-gc.service/admin-key");
    expect(admin.warnings.filter((w) => w.includes("adminKeyFile"))).toEqual([]);
  });

  it("learning.enable = false leaves every learning unit and timer out; the daemon can be left out alone", () => {
    const off = evalLearning(`{ services.ai-stack.learning.enable = false; }`);
    expect(off.services).toEqual({});
    expect(off.timers).toEqual({});
    const noDaemon = evalLearning(`{ services.ai-stack.learning.continuousLearning.enable = false; }`);
    expect(Object.keys(noDaemon.services).sort()).toEqual(learningUnits.filter((u) => u !== "ai-continuous-learning"));
  });
});
