import { describe, expect, it } from "vitest";
import { aiLib, nixEval, nixMissing } from "./nixEval.js";
import { renderUnit } from "./renderUnit.js";
import { scoreUnit, systemdAnalyzeMissing } from "./systemdAnalyze.js";

const missing = nixMissing ?? systemdAnalyzeMissing;
if (missing) console.warn(`tests/nix/hardening: skipped: ${missing}`);

type Units = Record<string, Record<string, unknown>>;
const tierNames = ["nano", "micro", "small", "medium", "large"];

describe.skipIf(missing !== null)("hardened units score <= 2.0 with systemd-analyze security", () => {
  const variants: Record<string, Units> = missing
    ? {}
    : nixEval<Record<string, Units>>(
        `let l = ${aiLib}; in builtins.listToAttrs (map (t: { name = t; value = l.serviceConfigs { tier = t; }; }) l.tierNames) // {
          large-nvidia = l.serviceConfigs { tier = "large"; gpuDevices = [ "/dev/nvidia0" "/dev/nvidiactl" "/dev/nvidia-uvm" "/dev/nvidia-uvm-tools" ]; };
          medium-amd-gpu-remote = l.serviceConfigs { tier = "medium"; gpuDevices = [ "char-drm" ]; remoteLlmAddresses = [ "203.0.113.10/32" ]; };
        }`,
      );
  const cases = Object.entries(variants).flatMap(([variant, units]) => Object.entries(units).map(([unit, config]) => [variant, unit, config] as const));

  it("covers all five units on every tier plus the GPU and remote-LLM variants", () => {
    expect(cases.length).toBe(7 * 5);
    expect(Object.keys(variants.micro ?? {}).sort()).toEqual(["ai-aidb", "ai-coordinator", "ai-embeddings", "ai-inference", "ai-model-download"]);
  });

  it.each(cases)("%s %s", (variant, unit, config) => {
    const score = scoreUnit(`${variant}-${unit}`, renderUnit(unit, config));
    // systemd only warns about misspelled or invalid keys, on stderr, and still exits 0.
    expect(score.stderr).toBe("");
    expect(score.status).toBe(0);
    expect(score.exposure).toBeLessThanOrEqual(2.0);
  });

  it("notices a misspelled key (the stderr check can fail)", () => {
    const config = { ...(variants.micro?.["ai-inference"] ?? {}), ProtectSytem: "strict" };
    const score = scoreUnit("misspelled", renderUnit("misspelled", config));
    expect(score.stderr).toMatch(/Unknown key 'ProtectSytem'/);
  });

  it("scores an unhardened unit far above the limit (the score check can fail)", () => {
    expect(scoreUnit("bare", renderUnit("bare", {})).exposure).toBeGreaterThan(9);
  });
});

describe.skipIf(nixMissing !== null)("the hardening baseline (lib/hardened-service.nix)", () => {
  const micro = nixMissing ? {} : nixEval<Units>(`${aiLib}.serviceConfigs { tier = "micro"; }`);

  it("has every baseline setting the issue lists on every service unit", () => {
    for (const unit of ["ai-inference", "ai-embeddings", "ai-aidb", "ai-coordinator"]) {
      expect(micro[unit]).toMatchObject({
        DynamicUser: true,
        PrivateTmp: true,
        ProtectSystem: "strict",
        ProtectHome: true,
        NoNewPrivileges: true,
        CapabilityBoundingSet: "",
        SystemCallFilter: ["@system-service", "~@privileged @resources"],
        SystemCallArchitectures: "native",
        RestrictAddressFamilies: ["AF_UNIX", "AF_INET", "AF_INET6"],
        IPAddressDeny: "any",
        ProtectKernelTunables: true,
        ProtectKernelModules: true,
        ProtectKernelLogs: true,
        ProtectControlGroups: true,
        ProtectClock: true,
        ProtectHostname: true,
        RestrictNamespaces: true,
        RestrictRealtime: true,
        RestrictSUIDSGID: true,
        LockPersonality: true,
        PrivateDevices: true,
        UMask: "0077",
        ProtectProc: "invisible",
        ProcSubset: "pid",
        MemoryDenyWriteExecute: false,
      });
      expect(micro[unit]?.IPAddressAllow).toEqual(["localhost"]);
    }
  });

  it("gives ai-model-download alone internet access, as a static user writing world-readable files", () => {
    const dl = micro["ai-model-download"] ?? {};
    expect(dl).not.toHaveProperty("IPAddressDeny");
    expect(dl).not.toHaveProperty("IPAddressAllow");
    expect(dl).toMatchObject({ DynamicUser: false, User: "ai-stack-models", UMask: "0022", ReadWritePaths: ["/var/lib/ai-stack/models"] });
  });

  it("runs ai-model-download in the background: not a oneshot that activation would wait for, restarted (and resuming) after a failed download but not after a refusal", () => {
    const dl = micro["ai-model-download"] ?? {};
    expect(dl).toMatchObject({ Type: "exec", RemainAfterExit: true, Restart: "on-failure", RestartPreventExitStatus: "1" });
    expect(dl).not.toHaveProperty("TimeoutStartSec");
  });

  it("lets only the coordinator reach the remote LLM", () => {
    const units = nixEval<Units>(`${aiLib}.serviceConfigs { tier = "small"; remoteLlmAddresses = [ "203.0.113.10/32" ]; }`);
    expect(units["ai-coordinator"]?.IPAddressAllow).toEqual(["localhost", "203.0.113.10/32"]);
    for (const unit of ["ai-inference", "ai-embeddings", "ai-aidb"]) expect(units[unit]?.IPAddressAllow).toEqual(["localhost"]);
  });

  it("opens only the GPU devices it is given, and only for inference", () => {
    const units = nixEval<Units>(`${aiLib}.serviceConfigs { tier = "large"; gpuDevices = [ "char-drm" ]; }`);
    expect(units["ai-inference"]).toMatchObject({ PrivateDevices: false, DevicePolicy: "closed", DeviceAllow: ["char-drm rw"] });
    expect(units["ai-embeddings"]?.PrivateDevices).toBe(true);
  });

  it("documents a reason for every relaxation", () => {
    const reasons = nixEval<Record<string, string>>(`${aiLib}.relaxationReasons`);
    for (const key of ["MemoryDenyWriteExecute", "IPAddressAllow", "IPAddressDeny", "PrivateDevices", "DeviceAllow", "DynamicUser", "UMask", "LimitMEMLOCK"]) {
      expect(reasons[key], key).toMatch(/^\S+(\s+\S+){5,}/);
    }
    expect(reasons.MemoryDenyWriteExecute).toMatch(/V8/);
  });
});

describe.skipIf(nixMissing !== null)("memory and threads per tier (lib/service-configs.nix)", () => {
  const memory = nixMissing
    ? {}
    : nixEval<Record<string, Record<string, string>>>(
        `let l = ${aiLib}; in builtins.listToAttrs (map (t: { name = t; value = builtins.mapAttrs (_: u: u.MemoryMax) (l.serviceConfigs { tier = t; }); }) l.tierNames)`,
      );

  it("caps aidb, coordinator and the downloader at the tier's memoryMax", () => {
    const expected: Record<string, string> = { nano: "192M", micro: "320M", small: "512M", medium: "768M", large: "1G" };
    for (const t of tierNames) {
      for (const unit of ["ai-aidb", "ai-coordinator", "ai-model-download"]) expect(memory[t]?.[unit], `${t} ${unit}`).toBe(expected[t]);
    }
  });

  it("sizes the model units from lib.memoryBudget: MemoryHigh at the need, MemoryMax 10% above", () => {
    const limits = nixEval<Record<string, Record<string, { high: string; max: string; need: number }>>>(
      `let l = ${aiLib}; in builtins.listToAttrs (map (t: { name = t; value = let c = l.serviceConfigs { tier = t; }; b = (l.memoryBudget { tier = t; systemRamGb = 0; inherit (l.tiers.\${t}) embeddingModel rerankModel; }).units; in builtins.mapAttrs (u: v: { high = c.\${u}.MemoryHigh; max = c.\${u}.MemoryMax; need = v.needMiB; }) b; }) l.tierNames)`,
    );
    for (const t of tierNames) {
      for (const unit of ["ai-inference", "ai-embeddings"]) {
        const u = limits[t]?.[unit];
        if (!u) continue;
        expect(u.high, `${t} ${unit}`).toBe(`${u.need}M`);
        expect(u.max, `${t} ${unit}`).toBe(`${Math.ceil(u.need * 1.1)}M`);
      }
    }
    // micro: runtime 120 + heap 64 + qwen2.5-1.5b 1807 + KV 4096 x 2 x 28 KiB = 224 + compute (batch 256) 158.
    expect(limits.micro?.["ai-inference"]).toEqual({ need: 2373, high: "2373M", max: "2611M" });
    // nano: one unit serves chat and embeddings (no ai-embeddings in the budget).
    expect(limits.nano?.["ai-embeddings"]).toBeUndefined();
    expect(limits.nano?.["ai-inference"]?.need).toBe(1109);
  });

  it("caps inference threads at cores - 1, and 1 on 2 cores", () => {
    const threads = nixEval<number[]>(
      `let l = ${aiLib}; in [ (l.inferenceThreads { tier = "large"; cpuCores = 2; }) (l.inferenceThreads { tier = "large"; cpuCores = 1; }) (l.inferenceThreads { tier = "large"; cpuCores = 4; }) (l.inferenceThreads { tier = "large"; cpuCores = 64; }) (l.inferenceThreads { tier = "micro"; }) (l.inferenceThreads { tier = "small"; cpuCores = 2; kind = "embeddings"; }) ]`,
    );
    expect(threads).toEqual([1, 1, 3, 8, 2, 1]);
  });

  it("parses systemd sizes and refuses others", () => {
    expect(nixEval(`map ${aiLib}.memoryToMiB [ "256M" "1G" "4G" ]`)).toEqual([256, 1024, 4096]);
  });
});
