import { coordinatorConfigSchema } from "../../services/coordinator/coordinatorConfigSchema.js";
import { aidbConfigSchema } from "../../services/aidb/aidbConfigSchema.js";
import { beforeAll, describe, expect, it } from "vitest";
import ports from "../../lib/ports.json" with { type: "json" };
import modelsJson from "../../lib/models.json" with { type: "json" };
import { inferenceConfigSchema } from "../../services/inference/inferenceConfigSchema.js";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { evalHost, evalToplevel, nixMissing, nixpkgsLibMissing, repoRoot, type HostEval, type Toplevel } from "./nixEval.js";

const missing = nixMissing ?? nixpkgsLibMissing;
if (missing) console.warn(`tests/nix/moduleHosts: skipped: ${missing}`);

const hostNames = ["sbc-nano", "pi5", "laptop-small", "thinkpad-p14s", "workstation", "template-sbc"] as const;
/** Every directory under hosts/, as the flake sees them (a new host is covered without editing this file). */
const hostDirs = readdirSync(join(repoRoot, "hosts")).filter((n) => statSync(join(repoRoot, "hosts", n)).isDirectory());

/**
 * The only warning an example host gets: the large tier's chat model has no
 * pinned upstream revision in lib/models.json (none could be found; it is
 * left null rather than invented), so ai-model-download refuses it.
 */
const expectedWarnings: Record<string, string[]> = {
  workstation: [
    "services.ai-stack: ai-model-download will refuse qwen2.5-14b-q4_k_m: registry entry qwen2.5-14b-q4_k_m has no revision; fill in the upstream commit its sha256 was published at in lib/models.json before downloading",
  ],
};

/** What every service's settings get from services.ai-stack.rateLimits and audit (defaults; no keys on the example hosts). */
const accessSettings = {
  rateLimitWindowMs: 60_000,
  rateLimitHigh: 10,
  rateLimitMedium: 60,
  rateLimitLow: 600,
  rateLimitPerKey: 1000,
  rateLimitPerKeyWindowMs: 3_600_000,
  ingestDocumentsPerWindow: 100,
  auditSocket: "/run/ai-audit/audit.sock",
};

describe.skipIf(missing !== null)("nix/modules on the example hosts (lib.evalModules)", () => {
  let hosts: Record<(typeof hostNames)[number], HostEval>;
  let toplevels: Record<string, Toplevel>;
  beforeAll(() => {
    hosts = Object.fromEntries(hostNames.map((h) => [h, evalHost(`./hosts/${h}`)])) as typeof hosts;
    toplevels = Object.fromEntries(hostDirs.map((h) => [h, evalToplevel(`./hosts/${h}`)]));
  });

  it("builds every host under hosts/ against the NixOS 25.11 option declarations: assertions hold, every unit renders", () => {
    expect(hostDirs.sort()).toEqual([...hostNames].sort());
    for (const h of hostDirs) {
      const units = Object.keys(toplevels[h]!.units);
      expect(units, h).toEqual(expect.arrayContaining(["ai-inference.service", "ai-aidb.service", "ai-coordinator.service", "postgresql.service", "redis-ai-stack.service"]));
      expect(toplevels[h]!.warnings, h).toEqual(expectedWarnings[h] ?? []);
    }
  });

  it("leaves vm.max_map_count to NixOS, whose 1048576 covers Qdrant's 262144 on the large tier", () => {
    const line = toplevels.workstation!.sysctl.split("\n").find((l) => l.startsWith("vm.max_map_count="));
    expect(Number(line?.split("=")[1])).toBeGreaterThanOrEqual(262144);
    expect(hosts.workstation.tier).toBe("large");
  });

  it("opens no firewall port on any host (everything listens on 127.0.0.1)", () => {
    for (const h of hostDirs) expect(toplevels[h]!.firewallTCPPorts, h).toEqual([]);
  });

  it("puts the driver's library directory on the inference unit's loader path on the GPU hosts, and only there", () => {
    // The hosts whose facts name a GPU vendor and its vramGb: the NVIDIA workstation and the ThinkPad's AMD iGPU.
    for (const h of ["workstation", "thinkpad-p14s"] as const) {
      expect(toplevels[h]!.units["ai-inference.service"], h).toContain(`Environment="LD_LIBRARY_PATH=/run/opengl-driver/lib"`);
      // ... which hardware.graphics fills (mesa, plus the NVIDIA driver on NVIDIA).
      expect(hosts[h].graphics, h).toBe(true);
      expect(toplevels[h]!.tmpfiles, h).toEqual(expect.arrayContaining([expect.stringMatching(/^L\+ \/run\/opengl-driver - - - - \/nix\/store\/\S+-graphics-drivers$/)]));
    }
    for (const h of ["laptop-small", "pi5", "sbc-nano"] as const) {
      expect(toplevels[h]!.units["ai-inference.service"], h).not.toContain("LD_LIBRARY_PATH");
      expect(hosts[h].graphics, h).toBe(false);
    }
    // The embeddings instance stays on the CPU.
    expect(toplevels.workstation!.units["ai-embeddings.service"]).not.toContain("LD_LIBRARY_PATH");
  });

  it("loads no RAPL module and runs node-exporter without its rapl collector (energy_uj is root-only since Linux 5.10)", () => {
    for (const h of hostNames) {
      expect(hosts[h].kernelModules, h).not.toContain("intel_rapl_msr");
      if (!hosts[h].prometheus.nodeEnabled) continue;
      expect(hosts[h].prometheus.nodeDisabledCollectors, h).toContain("rapl");
      expect(hosts[h].prometheus.nodeCollectors, h).not.toContain("rapl");
      expect(hosts[h].prometheus.nodeExecStart, h).toMatch(/ --no-collector\.rapl( |$)/);
      expect(hosts[h].prometheus.nodeExecStart, h).not.toMatch(/ --collector\.rapl( |$)/);
    }
  });

  it("evaluates every host without a failed assertion or a warning", () => {
    for (const h of hostNames) {
      expect(hosts[h].failedAssertions, h).toEqual([]);
      expect(hosts[h].warnings, h).toEqual(expectedWarnings[h] ?? []);
    }
  });

  it("derives tier and models from facts.nix alone", () => {
    const summary = Object.fromEntries(hostNames.map((h) => [h, [hosts[h].tier, hosts[h].model]]));
    expect(summary).toEqual({
      "sbc-nano": ["nano", "qwen2.5-0.5b-q8_0"],
      pi5: ["micro", "qwen2.5-1.5b-q8_0"],
      "laptop-small": ["small", "phi-4-mini-q4_k_m"],
      "thinkpad-p14s": ["medium", "qwen2.5-7b-q4_k_m"],
      workstation: ["large", "qwen2.5-14b-q4_k_m"],
      // 4 GB: the micro tier's 1.5B does not fit the memory budget with the reranker and monitoring; the 0.5B does.
      "template-sbc": ["micro", "qwen2.5-0.5b-q8_0"],
    });
  });

  it("applies lib.serviceConfigs unchanged, adding only ExecStart, credentials and the audit writer's group", () => {
    const services = ["ai-inference", "ai-embeddings", "ai-aidb", "ai-coordinator"];
    for (const h of hostNames) {
      const host = hosts[h];
      for (const [unit, u] of Object.entries(host.units)) {
        const { ExecStart, LoadCredential, SupplementaryGroups, ...rest } = u.serviceConfig;
        const { SupplementaryGroups: tierGroups, ...expected } = host.unitConfigs[unit] as Record<string, unknown>;
        expect(rest, `${h} ${unit}`).toEqual(expected);
        expect(ExecStart, `${h} ${unit}`).toEqual(expect.any(String));
        expect(LoadCredential, `${h} ${unit}`).toBeUndefined();
        // The services may reach the audit writer's socket (tests/nix/access.test.ts); GPU groups stay.
        expect(SupplementaryGroups, `${h} ${unit}`).toEqual(services.includes(unit) ? [...((tierGroups as string[]) ?? []), "ai-audit"] : tierGroups);
      }
    }
  });

  it("runs each service from the package's aq with its generated config file", () => {
    const units = hosts.pi5.units;
    expect(Object.keys(units).sort()).toEqual(["ai-aidb", "ai-coordinator", "ai-embeddings", "ai-inference", "ai-model-download"]);
    const serve: Record<string, string> = { "ai-inference": "inference", "ai-embeddings": "inference", "ai-aidb": "aidb", "ai-coordinator": "coordinator" };
    for (const [unit, what] of Object.entries(serve)) {
      const u = units[unit];
      expect(u?.serviceConfig.ExecStart).toMatch(new RegExp(`-nixos-ai-stack-[^/]+/bin/aq serve ${what} --config /nix/store/\\S+-${unit}\\.json$`));
      expect(u?.environment.AI_STACK_CONFIG).toMatch(new RegExp(`-${unit}\\.json$`));
      expect(u?.wantedBy).toContain("multi-user.target");
    }
    expect(units["ai-model-download"]?.serviceConfig.ExecStart).toMatch(/-ai-model-download\/bin\/ai-model-download$/);
  });

  it("starts inference without waiting for the model download, which runs in the background; aidb only after PostgreSQL is set up", () => {
    const u = hosts.pi5.units;
    for (const unit of ["ai-inference", "ai-embeddings"]) {
      expect(u[unit]?.requires, unit).not.toContain("ai-model-download.service");
      expect(u[unit]?.after, unit).not.toContain("ai-model-download.service");
    }
    // Not a oneshot: nixos-rebuild switch does not wait for the download.
    expect(u["ai-model-download"]?.serviceConfig).toMatchObject({ Type: "exec", Restart: "on-failure" });
    // The downloader's progress file is the one both inference instances report from while they wait.
    const progress = "/var/lib/ai-stack/models/download-status.json";
    expect(u["ai-model-download"]?.environment.AI_STACK_DOWNLOAD_STATUS).toBe(progress);
    expect(hosts.pi5.settings.inference.modelDownloadStatusFile).toBe(progress);
    expect(hosts.pi5.settings.embeddings.modelDownloadStatusFile).toBe(progress);
    expect(u["ai-aidb"]?.requires).toEqual(expect.arrayContaining(["postgresql.service", "postgresql-setup.service"]));
    expect(u["ai-coordinator"]?.requires).toContain("redis-ai-stack.service");
    // The small retrieval models first; a remote can answer until the chat model is in place.
    expect(hosts.pi5.downloadIds).toEqual(["nomic-embed-text-v1.5-q8_0", "qwen3-reranker-0.6b-q8_0", "qwen2.5-1.5b-q8_0"]);
  });

  it("gives aidb the embedding model's query and document prefixes, and the coordinator its query prefix, from the registry", () => {
    for (const h of hostNames) {
      const prefixes = modelsJson.models.find((m) => m.id === hosts[h].embeddingModel)?.prefixes;
      expect(prefixes, h).toEqual({ query: "search_query: ", document: "search_document: " });
      expect(hosts[h].settings.aidb, h).toMatchObject({ embedQueryPrefix: "search_query: ", embedDocumentPrefix: "search_document: " });
      expect(hosts[h].settings.coordinator.embedQueryPrefix, h).toBe("search_query: ");
      expect(aidbConfigSchema.safeParse(hosts[h].settings.aidb).error, h).toBeUndefined();
    }
  });

  it("gives each host's inference the chat model's capabilities from the registry, and the coordinator the reranker wherever the tier loads one", () => {
    const registry = new Map(modelsJson.models.map((m) => [m.id, m.capabilities as string[]]));
    for (const h of hostNames) {
      const { inference, embeddings, coordinator } = hosts[h].settings;
      const capabilities = registry.get(hosts[h].model)!;
      expect([inference.chatModelStructuredOutput, inference.chatModelToolCalling], h).toEqual([capabilities.includes("json_schema"), capabilities.includes("tools")]);
      // The reranker URL is the embeddings instance, which loads the tier's reranker.
      expect(coordinator.rerankUrl, h).toBe(hosts[h].rerankModel === null ? undefined : `http://127.0.0.1:${ports.inferenceEmbed}`);
      expect(embeddings.rerankModel !== undefined, h).toBe(hosts[h].rerankModel !== null);
    }
    // Both kinds occur: qwen2.5-0.5b has json_schema but not tools, and nano loads no reranker.
    expect(hosts["sbc-nano"].settings.inference.chatModelToolCalling).toBe(false);
    expect(hosts["sbc-nano"].settings.coordinator.rerankUrl).toBeUndefined();
    expect(hosts.pi5.settings.inference.chatModelToolCalling).toBe(true);
  });

  it("renders inference settings the inference service's own schema accepts", () => {
    for (const h of hostNames) {
      const parsed = inferenceConfigSchema.safeParse(hosts[h].settings.inference);
      expect(parsed.success, `${h}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
    expect(hosts.pi5.settings.inference).toEqual({
      host: "127.0.0.1",
      port: ports.inferenceChat,
      chatModel: "/var/lib/ai-stack/models/qwen2.5-1.5b-instruct-q8_0.gguf",
      chatModelSha256: "d7efb072e7724d25048a4fda0a3e10b04bdef5d06b1403a1c93bd9f1240a63c8",
      threads: 2,
      contextSize: 4096,
      sequences: 2,
      queueLimit: 8,
      batchSize: 256,
      kvCacheType: "f16",
      gpu: "off",
      gpuExpected: false,
      memoryBandwidthBytesPerSecond: 17_100_000_000,
      modelDownloadStatusFile: "/var/lib/ai-stack/models/download-status.json",
      chatModelStructuredOutput: true,
      chatModelToolCalling: true,
      ...accessSettings,
    });
  });

  it("uses only keys of the inference schema for the embeddings instance", () => {
    const known = Object.keys(inferenceConfigSchema.shape);
    for (const h of hostNames) for (const key of Object.keys(hosts[h].settings.embeddings)) expect(known, `${h} ${key}`).toContain(key);
    expect(hosts["sbc-nano"].settings.embeddings).toMatchObject({ port: ports.inferenceEmbed, embedModel: "/var/lib/ai-stack/models/nomic-embed-text-v1.5.Q8_0.gguf" });
    expect(hosts["sbc-nano"].settings.embeddings).not.toHaveProperty("rerankModel");
  });

  it("wires the coordinator to the other services through lib/ports.json", () => {
    expect(hosts.pi5.settings.coordinator).toEqual({
      host: "127.0.0.1",
      port: ports.coordinator,
      inferenceUrl: `http://127.0.0.1:${ports.inferenceChat}`,
      embeddingsUrl: `http://127.0.0.1:${ports.inferenceEmbed}`,
      aidbUrl: `http://127.0.0.1:${ports.aidb}`,
      redisUrl: `redis://127.0.0.1:${ports.redis}`,
      rerankUrl: `http://127.0.0.1:${ports.inferenceEmbed}`,
      embedQueryPrefix: "search_query: ",
      stateDir: "/var/lib/ai-coordinator",
      ...accessSettings,
    });
    expect(hosts.pi5.settings.aidb).toMatchObject({
      port: ports.aidb,
      databaseUrl: expect.stringContaining("host=/run/postgresql"),
      redisUrl: `redis://127.0.0.1:${ports.redis}`,
    });
    // The rendered settings are what the services' strict schemas accept.
    expect(coordinatorConfigSchema.safeParse(hosts.pi5.settings.coordinator).error).toBeUndefined();
    expect(aidbConfigSchema.safeParse(hosts.pi5.settings.aidb).error).toBeUndefined();
    expect(hosts.pi5.units["ai-coordinator"]?.serviceConfig.StateDirectory).toBe("ai-coordinator");
  });

  it("sets up PostgreSQL with pgvector and Redis on localhost", () => {
    const pi = hosts.pi5;
    expect(pi.postgresql).toMatchObject({ enable: true, enableTCPIP: false, listenAddresses: "localhost", port: ports.postgres, ensureDatabases: ["aidb"] });
    expect(pi.postgresql.extensions).toEqual(["postgresql-pgvector"]);
    expect(pi.postgresql.ensureUsers).toEqual([{ name: "aidb", ensureDBOwnership: true }]);
    expect(pi.postgresqlSetup).toMatch(/CREATE EXTENSION IF NOT EXISTS vector/);
    expect(pi.units["ai-aidb"]?.serviceConfig.User).toBe("aidb");
    expect(pi.redis["ai-stack"]).toMatchObject({ enable: true, bind: "127.0.0.1", port: ports.redis });
  });

  it("runs monitoring everywhere but nano, scraping every service's /metrics and node-exporter", () => {
    expect(hosts["sbc-nano"].prometheus.enable).toBe(false);
    expect(hosts["sbc-nano"].grafana.enable).toBe(false);
    const p = hosts["thinkpad-p14s"].prometheus;
    expect(p.enable).toBe(true);
    expect(p.listenAddress).toBe("127.0.0.1");
    expect(Object.fromEntries(p.scrapeTargets.map((s) => [s.job, s.targets]))).toEqual({
      "ai-inference": [`127.0.0.1:${ports.inferenceChat}`],
      "ai-embeddings": [`127.0.0.1:${ports.inferenceEmbed}`],
      "ai-aidb": [`127.0.0.1:${ports.aidb}`],
      "ai-coordinator": [`127.0.0.1:${ports.coordinator}`],
      node: [`127.0.0.1:${ports.nodeExporter}`],
      prometheus: [`127.0.0.1:${ports.prometheus}`],
    });
    expect(p.nodeCollectors).toEqual(expect.arrayContaining(["hwmon", "nvme", "thermal_zone", "textfile"]));
    const g = hosts["thinkpad-p14s"].grafana;
    expect(g.httpAddr).toBe("127.0.0.1");
    expect(g.datasources).toEqual([expect.objectContaining({ type: "prometheus", url: `http://127.0.0.1:${ports.prometheus}` })]);
    expect(g.dashboardPaths).toEqual([expect.stringMatching(/nix\/monitoring\/dashboards$/)]);
  });

  it("runs aq gpu-metrics for node-exporter on AMD and NVIDIA hosts with monitoring, hardened", () => {
    const amd = hosts["thinkpad-p14s"].gpuMetricsUnit!;
    expect(amd.serviceConfig.ExecStart).toMatch(/ gpu-metrics --textfile-dir \/var\/lib\/prometheus-node-exporter-text --interval 15$/);
    expect(amd.serviceConfig).toMatchObject({ User: "ai-gpu-metrics", DynamicUser: false, PrivateDevices: true, ProtectSystem: "strict", IPAddressDeny: "any" });
    expect(amd.serviceConfig.ReadWritePaths).toEqual(["/var/lib/prometheus-node-exporter-text"]);
    expect(hosts["thinkpad-p14s"].tmpfiles).toContain("d /var/lib/prometheus-node-exporter-text 0775 root ai-gpu-metrics - -");
    const nvidia = hosts.workstation.gpuMetricsUnit!;
    expect(nvidia).not.toBeNull();
    expect(nvidia.serviceConfig.DeviceAllow).toEqual(expect.arrayContaining([expect.stringContaining("/dev/nvidiactl")]));
    // No GPU, or no monitoring: no unit.
    expect(hosts.pi5.gpuMetricsUnit).toBeNull();
    expect(hosts["sbc-nano"].gpuMetricsUnit).toBeNull();
  });

  it("tunes by tier and hardware: zram, huge pages, x86 modules, AMD and Intel extras", () => {
    expect(hosts["sbc-nano"].zram).toMatchObject({ enable: true, algorithm: "lz4", memoryPercent: 50 });
    expect(hosts.workstation.zram.enable).toBe(false);
    expect(hosts["sbc-nano"].kernelParams).toContain("transparent_hugepage=never");
    expect(hosts.pi5.kernelParams).toContain("transparent_hugepage=madvise");
    // x86_64-only modules stay off the ARM boards.
    expect(hosts.pi5.kernelModules).toEqual([]);
    expect(hosts["laptop-small"].kernelModules).toEqual(["coretemp"]);
    expect(hosts["laptop-small"].thermald).toBe(true);
    expect(hosts["thinkpad-p14s"].thermald).toBe(false);
    expect(hosts["thinkpad-p14s"].kernelParams).toContain("amd_pstate=active");
    expect(hosts["thinkpad-p14s"].kernelModules).toContain("k10temp");
    expect(hosts["laptop-small"].kernelParams).not.toContain("amd_pstate=active");
    for (const h of hostNames) expect(hosts[h].sysctl["vm.overcommit_memory"], h).toBe(1);
    expect(hosts["thinkpad-p14s"].sysctl["kernel.numa_balancing"]).toBe(0);
  });

  it("opens the GPU to inference only on the hosts whose facts name one", () => {
    expect(hosts.workstation.units["ai-inference"]?.serviceConfig).toMatchObject({ PrivateDevices: false, DeviceAllow: expect.arrayContaining(["/dev/nvidiactl rw"]) });
    expect(hosts.workstation.units["ai-coordinator"]?.serviceConfig.PrivateDevices).toBe(true);
    // The ThinkPad's AMD iGPU: its DRM render node, for Vulkan.
    expect(hosts["thinkpad-p14s"].units["ai-inference"]?.serviceConfig).toMatchObject({ PrivateDevices: false, DeviceAllow: ["char-drm rw"] });
    for (const h of ["laptop-small", "pi5", "sbc-nano"] as const) expect(hosts[h].units["ai-inference"]?.serviceConfig.PrivateDevices, h).toBe(true);
  });
});
