import { describe, expect, it } from "vitest";
import ports from "../../lib/ports.json" with { type: "json" };
import { evalHost, evalHostError, evalToplevel, nixMissing, nixpkgsLibMissing } from "./nixEval.js";

const missing = nixMissing ?? nixpkgsLibMissing;
if (missing) console.warn(`tests/nix/moduleOptions: skipped: ${missing}`);

/** What docs/deploy.md tells a host to add to accept Open WebUI's licence. */
const allowOpenWebui = `nixpkgs.config.allowUnfreePredicate = pkg: builtins.elem (lib.getName pkg) [ "open-webui" ];`;

/** A bootable host module: the stack enabled with `facts`, plus more `services.ai-stack` settings and other `options`. */
const host = (ram: number, extra = "", arch = "x86_64", options = "") =>
  `({ lib, ... }: { nixpkgs.hostPlatform = "${arch}-linux"; fileSystems."/".device = "/dev/sda1"; boot.loader.grub.devices = [ "/dev/sda" ]; services.ai-stack = { enable = true; facts.systemRamGb = ${ram}; ${extra} }; ${options} })`;

describe.skipIf(missing !== null)("services.ai-stack assertions and warnings", () => {
  it("refuses an invalid tier string, naming the option", () => {
    const err = evalHostError(host(16, `hardwareTier = "huge";`), "tier");
    expect(err).toMatch(/services\.ai-stack\.hardwareTier/);
    expect(err).toMatch(/huge/);
  });

  it("refuses a model that is not a registry chat model, naming the option", () => {
    expect(evalHostError(host(16, `model = "nomic-embed-text-v1.5-q8_0";`), "model")).toMatch(/services\.ai-stack\.model/);
  });

  it("fails a 14B model on a host with less than 12 GB, and accepts it at 12 GB with a RAM warning once its memory budget fits", () => {
    const small = evalHost(host(8, `model = "qwen2.5-14b-q4_k_m";`));
    expect(small.failedAssertions).toEqual([
      expect.stringMatching(/services\.ai-stack\.model = "qwen2\.5-14b-q4_k_m" is a 14\.8B model and needs at least 12 GB of RAM/),
      expect.stringMatching(/the memory budget does not fit this host/),
    ]);
    // With the small tier's settings the 14B's KV cache and the reranker do not fit 12 GB (the budget says so);
    // one sequence of 2048 tokens at q8_0, no reranker and no monitoring do.
    expect(evalHost(host(12, `model = "qwen2.5-14b-q4_k_m";`)).failedAssertions).toEqual([expect.stringMatching(/the memory budget does not fit this host/)]);
    const twelve = evalHost(
      host(12, `model = "qwen2.5-14b-q4_k_m"; rerankModel = null; monitoring.enable = false; settings.inference = { contextSize = 2048; sequences = 1; kvCacheType = "q8_0"; };`),
    );
    expect(twelve.failedAssertions).toEqual([]);
    expect(twelve.warnings).toEqual([
      expect.stringMatching(/model may exhaust available RAM on this tier \(qwen2\.5-14b-q4_k_m needs 10\.5 GB, more than 70% of the 12 GB/),
      // lib/models.json has no pinned revision for this model (none could be found): the downloader refuses it.
      expect.stringMatching(/ai-model-download will refuse qwen2\.5-14b-q4_k_m: registry entry qwen2\.5-14b-q4_k_m has no revision/),
    ]);
  });

  it("warns only above 70% of RAM", () => {
    // qwen2.5-7b needs 5.6 GB: 70% of 8 GB is exactly 5.6.
    expect(evalHost(host(8, `model = "qwen2.5-7b-q4_k_m";`)).warnings).toEqual([]);
    expect(evalHost(host(7, `model = "qwen2.5-7b-q4_k_m";`)).warnings).toEqual([expect.stringMatching(/model may exhaust available RAM on this tier/)]);
  });

  it("fails on a port collision and names the ports", () => {
    const r = evalHost(host(16, `ports.grafana = ${ports.inferenceChat};`));
    expect(r.failedAssertions).toEqual([expect.stringMatching(new RegExp(`services\\.ai-stack\\.ports: port ${ports.inferenceChat} is used by grafana and inferenceChat`))]);
  });

  it("refuses a port or host in services.ai-stack.settings, naming the services.ai-stack.ports option to set instead", () => {
    const r = evalHost(host(16, `settings.inference.port = 9000; settings.embeddings.port = 9001; settings.coordinator.host = "0.0.0.0";`));
    expect(r.failedAssertions).toHaveLength(3);
    expect(r.failedAssertions).toEqual(
      expect.arrayContaining([
        `services.ai-stack.settings.inference.port = 9000 disagrees with services.ai-stack.ports.inferenceChat = ${ports.inferenceChat}, which Prometheus and the other services use to reach ai-inference. Set services.ai-stack.ports.inferenceChat instead and remove services.ai-stack.settings.inference.port.`,
        expect.stringMatching(/^services\.ai-stack\.settings\.embeddings\.port = 9001 disagrees with services\.ai-stack\.ports\.inferenceEmbed = \d+.* Set services\.ai-stack\.ports\.inferenceEmbed instead/),
        // The coordinator's address is services.ai-stack.listen.address (tests/nix/access.test.ts).
        expect.stringMatching(/^services\.ai-stack\.settings\.coordinator\.host = "0\.0\.0\.0" disagrees with services\.ai-stack\.listen\.address = "127\.0\.0\.1"\. Set services\.ai-stack\.listen\.address instead and remove services\.ai-stack\.settings\.coordinator\.host; its port is services\.ai-stack\.ports\.coordinator\.$/),
      ]),
    );
    // A port removed from settings (null) is refused too; the same value as services.ai-stack.ports is harmless.
    expect(evalHost(host(16, `settings.aidb.port = null;`)).failedAssertions).toEqual([expect.stringMatching(/^services\.ai-stack\.settings\.aidb\.port = null disagrees with services\.ai-stack\.ports\.aidb/)]);
    expect(evalHost(host(16, `settings.aidb.port = ${ports.aidb}; settings.aidb.host = "127.0.0.1";`)).failedAssertions).toEqual([]);
  });

  it("moves a service, its Prometheus scrape target and every URL that reaches it together when services.ai-stack.ports changes", () => {
    const r = evalHost(host(16, `ports.aidb = 18002; ports.inferenceEmbed = 18081; ports.coordinator = 18003;`, "x86_64", allowOpenWebui + ` services.ai-stack.webUi.enable = true;`));
    expect(r.failedAssertions).toEqual([]);
    expect(r.settings.aidb).toMatchObject({ port: 18002, embeddingsUrl: "http://127.0.0.1:18081" });
    expect(r.settings.embeddings).toMatchObject({ port: 18081 });
    expect(r.settings.coordinator).toMatchObject({ port: 18003, aidbUrl: "http://127.0.0.1:18002", embeddingsUrl: "http://127.0.0.1:18081" });
    const targets = Object.fromEntries(r.prometheus.scrapeTargets.map((t) => [t.job, t.targets]));
    expect(targets).toMatchObject({ "ai-aidb": ["127.0.0.1:18002"], "ai-embeddings": ["127.0.0.1:18081"], "ai-coordinator": ["127.0.0.1:18003"] });
    expect(r.openWebui).toMatchObject({ environment: expect.objectContaining({ OPENAI_API_BASE_URL: "http://127.0.0.1:18003/v1" }) });
  });

  it("fails on an empty or relative state path", () => {
    expect(evalHost(host(16, `stateDir = "";`)).failedAssertions).toEqual([expect.stringMatching(/services\.ai-stack\.stateDir must be a non-empty absolute path/)]);
    expect(evalHost(host(16, `stateDir = "var/lib/x";`)).failedAssertions).toHaveLength(1);
  });

  it("needs the remote LLM's addresses when a remote LLM is configured, and lets only the coordinator reach them", () => {
    expect(evalHost(host(16, `remoteLlm.url = "https://llm.example.org/v1";`)).failedAssertions).toEqual([
      expect.stringMatching(/services\.ai-stack\.remoteLlm\.allowedAddresses must list/),
    ]);
    const r = evalHost(
      host(16, `remoteLlm = { url = "https://llm.example.org/v1"; keyFile = "/run/secrets/llm"; allowedAddresses = [ "203.0.113.10/32" ]; }; apiKeysFile = "/run/secrets/keys";`),
    );
    expect(r.failedAssertions).toEqual([]);
    const coord = r.units["ai-coordinator"]?.serviceConfig ?? {};
    expect(coord.IPAddressAllow).toEqual(["localhost", "203.0.113.10/32"]);
    // The keys (and the internal key, tests/nix/access.test.ts) go to every service; the remote's key to the coordinator alone.
    expect(coord.LoadCredential).toEqual(["remote-llm-key:/run/secrets/llm", "api-keys:/run/secrets/keys", "internal-key:/var/lib/ai-stack-keys/internal-key"]);
    expect(r.units["ai-aidb"]?.serviceConfig.LoadCredential).toEqual(["api-keys:/run/secrets/keys", "internal-key:/var/lib/ai-stack-keys/internal-key"]);
    expect(r.units["ai-inference"]?.serviceConfig.IPAddressAllow).toEqual(["localhost"]);
    expect(r.units["ai-inference"]?.serviceConfig.LoadCredential).not.toContain("remote-llm-key:/run/secrets/llm");
    expect(r.settings.coordinator).toMatchObject({
      remoteLlmUrl: "https://llm.example.org/v1",
      remoteLlmKeyFile: "/run/credentials/ai-coordinator.service/remote-llm-key",
      apiKeysFile: "/run/credentials/ai-coordinator.service/api-keys",
    });
    expect(JSON.stringify(r.settings)).not.toContain("/run/secrets");
  });

  it("allows Open WebUI only on tiers that allow it and with a port, bound to localhost and pointed at the coordinator", () => {
    expect(evalHost(host(8, `webUi.enable = true; ports.openWebui = 8090;`, "x86_64", allowOpenWebui)).failedAssertions).toEqual([
      expect.stringMatching(/services\.ai-stack\.webUi\.enable: the micro tier does not allow Open WebUI/),
    ]);
    if (!("openWebui" in ports)) {
      expect(evalHost(host(16, `webUi.enable = true;`, "x86_64", allowOpenWebui)).failedAssertions).toEqual([
        expect.stringMatching(/services\.ai-stack\.ports\.openWebui must be set/),
      ]);
    }
    const r = evalHost(host(16, `webUi.enable = true; ports.openWebui = 8090;`, "x86_64", allowOpenWebui));
    expect(r.failedAssertions).toEqual([]);
    expect(r.openWebui).toMatchObject({
      enable: true,
      host: "127.0.0.1",
      port: 8090,
      openFirewall: false,
      environment: expect.objectContaining({
        OPENAI_API_BASE_URL: `http://127.0.0.1:${ports.coordinator}/v1`,
        ENABLE_OPENAI_API: "True",
        // Its document search embeds through the coordinator too.
        RAG_EMBEDDING_ENGINE: "openai",
        RAG_OPENAI_API_BASE_URL: `http://127.0.0.1:${ports.coordinator}/v1`,
      }),
    });
  });

  it("stops webUi.enable on a default configuration with the option to set, since nixpkgs' open-webui is unfree", () => {
    const webUi = `webUi.enable = true; ports.openWebui = 8090;`;
    const refused = evalHost(host(16, webUi));
    expect(refused.failedAssertions).toEqual([
      expect.stringMatching(/^services\.ai-stack\.webUi\.enable: nixpkgs' open-webui package has an unfree licence \(Open WebUI License\)/),
    ]);
    expect(refused.failedAssertions[0]).toContain(`nixpkgs.config.allowUnfreePredicate = pkg: builtins.elem (lib.getName pkg) [ "open-webui" ];`);
    // As on NixOS, building stops at the assertion, before nixpkgs' own refusal.
    expect(evalHostError(host(16, webUi), "toplevel")).toMatch(/Failed assertions:\s+- services\.ai-stack\.webUi\.enable: nixpkgs' open-webui package has an unfree licence/);
    // A predicate for other packages only does not let it through.
    expect(evalHost(host(16, webUi, "x86_64", `nixpkgs.config.allowUnfreePredicate = pkg: builtins.elem (pkg.pname or "") [ "nvidia-x11" ];`)).failedAssertions).toHaveLength(1);
    // The documented fix, or allowUnfree, builds a unit that runs the package.
    for (const allow of [allowOpenWebui, `nixpkgs.config.allowUnfree = true;`]) {
      const unit = evalToplevel(host(16, webUi, "x86_64", allow)).units["open-webui.service"];
      expect(unit, allow).toMatch(/^ExecStart=\/nix\/store\/\S+-open-webui-[^/]+\/bin\/open-webui serve --host 127\.0\.0\.1 --port 8090$/m);
      expect(unit).toContain(`Environment="OPENAI_API_BASE_URL=http://127.0.0.1:${ports.coordinator}/v1"`);
    }
  });

  it("allows Qdrant only on the large tier", () => {
    expect(evalHost(host(27, `qdrant.enable = true; ports.qdrantHttp = 6333; ports.qdrantGrpc = 6334;`)).failedAssertions).toEqual([
      expect.stringMatching(/services\.ai-stack\.qdrant\.enable: the medium tier does not allow Qdrant/),
    ]);
    const r = evalHost(host(64, `qdrant.enable = true; ports.qdrantHttp = 6333; ports.qdrantGrpc = 6334;`));
    expect(r.failedAssertions).toEqual([]);
    expect(r.qdrant).toMatchObject({ enable: true, settings: { service: { host: "127.0.0.1", http_port: 6333, grpc_port: 6334 } } });
  });

  it("needs the flake's nixpkgs-unstable input for the unstable track", () => {
    expect(evalHost(host(16, `nixpkgsTrack = "unstable";`)).failedAssertions).toEqual([expect.stringMatching(/nixpkgsTrack = "unstable" needs the flake's nixpkgs-unstable input/)]);
  });

  it("catches facts that contradict the platform being built", () => {
    expect(evalHost(host(16, `facts.cpuArchitecture = "aarch64";`)).failedAssertions).toEqual([
      expect.stringMatching(/services\.ai-stack\.facts\.cpuArchitecture = "aarch64" but this system is built for x86_64/),
    ]);
  });

  it("refuses GPU access without a GPU vendor", () => {
    expect(evalHost(host(16, `gpu.enable = true;`)).failedAssertions).toEqual([expect.stringMatching(/services\.ai-stack\.gpu\.enable needs/)]);
  });

  it("skips the download for models given as local files", () => {
    const r = evalHost(host(8, `modelFiles = { chat = "/srv/chat.gguf"; embedding = "/srv/embed.gguf"; rerank = "/srv/rerank.gguf"; };`));
    expect(r.downloadIds).toEqual([]);
    expect(r.units).not.toHaveProperty("ai-model-download");
    expect(r.units["ai-inference"]?.requires).not.toContain("ai-model-download.service");
    expect(r.settings.inference).toMatchObject({ chatModel: "/srv/chat.gguf" });
    // Nothing to wait for, and a local file may be any model: the registry's facts are not rendered for it.
    for (const key of ["modelDownloadStatusFile", "chatModelStructuredOutput", "chatModelToolCalling"]) expect(r.settings.inference).not.toHaveProperty(key);
    expect(r.settings.embeddings).not.toHaveProperty("modelDownloadStatusFile");
    expect(r.settings.aidb).not.toHaveProperty("embedQueryPrefix");
    expect(r.settings.coordinator).not.toHaveProperty("embedQueryPrefix");
    expect(r.settings.inference).not.toHaveProperty("chatModelSha256");
  });

  it("warns at build time when the downloader will refuse a model", () => {
    const r = evalHost(host(8, `modelDownload.allowlist = [ "nobody/nothing" ];`));
    expect(r.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/ai-model-download will refuse qwen2\.5-1\.5b-q8_0: repository Qwen\/Qwen2\.5-1\.5B-Instruct-GGUF is not on the registry allowlist/)]));
  });

  it("reserves huge pages for the model and points glibc at them when asked", () => {
    const r = evalHost(host(64, `tuning.hugePages = "reserved";`));
    expect(r.sysctl["vm.nr_hugepages"]).toBe(5376);
    expect(r.units["ai-inference"]?.environment.GLIBC_TUNABLES).toBe("glibc.malloc.hugetlb=2");
    expect(r.kernelParams).toContain("transparent_hugepage=madvise");
  });

  it("keeps NUMA balancing off only on architectures whose kernels have it", () => {
    expect(evalHost(host(16, "", "riscv64")).sysctl).not.toHaveProperty("kernel.numa_balancing");
    expect(evalHost(host(16, "", "aarch64")).sysctl["kernel.numa_balancing"]).toBe(0);
    expect(evalHost(host(16)).sysctl["kernel.numa_balancing"]).toBe(0);
  });

  it("builds the package with the configured npm registry, and with GPU binaries only when the GPU is used", () => {
    expect(evalHost(host(16)).packageArgs).toEqual({ npmRegistry: null, keepGpuBinaries: false });
    expect(evalHost(host(16, `npmRegistry = "https://npm.example.invalid";`)).packageArgs).toEqual({ npmRegistry: "https://npm.example.invalid", keepGpuBinaries: false });
    expect(evalHost(host(64, `facts.gpuVendor = "nvidia"; gpu.enable = true;`)).packageArgs).toMatchObject({ keepGpuBinaries: true });
  });

  it("lets settings override the module's defaults", () => {
    const r = evalHost(host(16, `settings.inference.queueLimit = 99; settings.coordinator.logLevel = "debug";`));
    expect(r.settings.inference.queueLimit).toBe(99);
    expect(r.settings.coordinator.logLevel).toBe("debug");
  });
});
