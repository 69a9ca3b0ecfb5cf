import { describe, expect, it } from "vitest";
import modelsJson from "../../lib/models.json" with { type: "json" };
import tiersJson from "../../lib/tiers.json" with { type: "json" };
import { checkTiersAgainstRegistry } from "../../services/registry/checkTiersAgainstRegistry.js";
import { loadModelRegistry } from "../../services/registry/loadModelRegistry.js";
import { loadTiers } from "../../services/registry/loadTiers.js";
import { modelRegistrySchema } from "../../services/registry/modelRegistrySchema.js";
import { tiersSchema } from "../../services/registry/tiersSchema.js";

const clone = <T>(v: T): T => structuredClone(v);
const issuePaths = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) =>
  (r.error?.issues ?? []).map((i) => `${i.path.join(".")}: ${i.message}`);

describe("lib/models.json against its zod schema", () => {
  it("is valid", () => {
    const reg = loadModelRegistry();
    expect(reg.models.length).toBeGreaterThanOrEqual(8);
  });

  it("has an embedding model (nomic-embed-text-v1.5) and a reranker", () => {
    const reg = loadModelRegistry();
    const nomic = reg.models.find((m) => m.id === "nomic-embed-text-v1.5-q8_0");
    expect(nomic).toMatchObject({ hf_repo: "nomic-ai/nomic-embed-text-v1.5-GGUF", capabilities: ["embedding"] });
    expect(reg.models.filter((m) => m.capabilities.includes("rerank")).map((m) => m.id)).toEqual(["qwen3-reranker-0.6b-q8_0", "bge-reranker-v2-m3-q8_0"]);
  });

  it("has, for each entry, a real-looking sha256 or null, and a unique file name", () => {
    const reg = loadModelRegistry();
    for (const m of reg.models) if (m.sha256 !== null) expect(m.sha256, m.id).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(reg.models.map((m) => m.hf_file)).size).toBe(reg.models.length);
    expect(new Set(reg.models.map((m) => m.sha256).filter((s) => s !== null)).size).toBe(reg.models.filter((m) => m.sha256 !== null).length);
  });

  it("rejects an invented or malformed entry, naming the field", () => {
    const bad = clone(modelsJson);
    bad.models[0]!.sha256 = "abc123";
    (bad.models[1] as Record<string, unknown>).recommended_for = ["huge"];
    (bad.models[2] as Record<string, unknown>).extra = 1;
    bad.models[3]!.id = bad.models[4]!.id;
    bad.models[5]!.hf_file = "model.bin";
    const paths = issuePaths(modelRegistrySchema.safeParse(bad));
    expect(paths).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^models\.0\.sha256: sha256: 64 lowercase hex/),
        expect.stringMatching(/^models\.1\.recommended_for\.0:/),
        expect.stringMatching(/^models\.2:/),
        expect.stringMatching(/^models\.5\.hf_file: hf_file must be a \.gguf file/),
      ]),
    );
    // Duplicate ids are a cross-entry rule; the per-field errors above stop it, so check it alone.
    const dup = clone(modelsJson);
    dup.models[3]!.id = dup.models[4]!.id;
    expect(issuePaths(modelRegistrySchema.safeParse(dup))).toEqual([`models.4.id: duplicate model id ${dup.models[4]!.id}`]);
  });

  it("pins each entry to a 40-hex upstream revision or null, and refuses anything else", () => {
    const reg = loadModelRegistry();
    for (const m of reg.models) if (m.revision !== null) expect(m.revision, m.id).toMatch(/^[0-9a-f]{40}$/);
    const bad = clone(modelsJson) as { models: Array<Record<string, unknown>> };
    bad.models[0]!.revision = "main";
    expect(issuePaths(modelRegistrySchema.safeParse(bad))).toEqual([expect.stringMatching(/^models\.0\.revision: revision: a 40-hex commit/)]);
    delete bad.models[0]!.revision;
    expect(issuePaths(modelRegistrySchema.safeParse(bad))).toEqual([expect.stringMatching(/^models\.0\.revision:/)]);
  });

  it("gives nomic-embed-text its query and document prefixes, and prefixes to embedding models only", () => {
    const reg = loadModelRegistry();
    expect(reg.models.find((m) => m.id === "nomic-embed-text-v1.5-q8_0")?.prefixes).toEqual({ query: "search_query: ", document: "search_document: " });
    expect(reg.models.filter((m) => m.prefixes).map((m) => m.id)).toEqual(["nomic-embed-text-v1.5-q8_0"]);
    const bad = clone(modelsJson) as { models: Array<Record<string, unknown>> };
    bad.models[0]!.prefixes = { query: "q: ", document: "d: " };
    expect(issuePaths(modelRegistrySchema.safeParse(bad))).toEqual([`models.0.prefixes: ${String(bad.models[0]!.id)}: prefixes belong to embedding models`]);
  });

  it("accepts null for an unknown sha256 (the downloader refuses it) but not an empty string", () => {
    const reg = clone(modelsJson) as { models: Array<{ sha256: string | null }> };
    reg.models[0]!.sha256 = null;
    expect(modelRegistrySchema.safeParse(reg).success).toBe(true);
    reg.models[0]!.sha256 = "";
    expect(modelRegistrySchema.safeParse(reg).success).toBe(false);
  });
});

describe("lib/tiers.json against its zod schema", () => {
  it("is valid and has the Node services' caps and default models the memory budget was chosen with (docs/tiers.md)", () => {
    const tiers = loadTiers();
    expect(Object.fromEntries(Object.entries(tiers).map(([n, t]) => [n, [t.memoryMax, t.defaultModel]]))).toEqual({
      nano: ["192M", "qwen2.5-0.5b-q8_0"],
      micro: ["320M", "qwen2.5-1.5b-q8_0"],
      small: ["512M", "phi-4-mini-q4_k_m"],
      medium: ["768M", "qwen2.5-7b-q4_k_m"],
      large: ["1G", "qwen2.5-14b-q4_k_m"],
    });
  });

  it("keeps web UI and Qdrant off on nano and micro, Qdrant on large only, monitoring off on nano only", () => {
    const tiers = loadTiers();
    expect(Object.entries(tiers).filter(([, t]) => t.webUi).map(([n]) => n)).toEqual(["small", "medium", "large"]);
    expect(Object.entries(tiers).filter(([, t]) => t.qdrant).map(([n]) => n)).toEqual(["large"]);
    expect(Object.entries(tiers).filter(([, t]) => !t.monitoring).map(([n]) => n)).toEqual(["nano"]);
  });

  it("runs nano with one inference thread (more threads than cores is catastrophic on 2 cores)", () => {
    expect(loadTiers().nano.inference).toEqual({ threads: 1, contextSize: 2048, sequences: 1, queueLimit: 4, batchSize: 128, kvCacheType: "f16" });
  });

  it("rejects a missing tier, an unknown key and RAM bounds out of order", () => {
    const noLarge = clone(tiersJson) as Record<string, unknown>;
    delete noLarge.large;
    expect(issuePaths(tiersSchema.safeParse(noLarge)).join("\n")).toMatch(/large/);
    const extra = clone(tiersJson);
    (extra.micro.inference as Record<string, unknown>).thread = 2;
    expect(issuePaths(tiersSchema.safeParse(extra)).join("\n")).toMatch(/micro\.inference/);
    const order = clone(tiersJson);
    order.small.ramMaxGb = 4;
    expect(issuePaths(tiersSchema.safeParse(order))).toEqual(["small.ramMaxGb: must be above the previous tier's 8"]);
  });
});

describe("tiers and registry agree", () => {
  it("has every tier's models in the registry, with the right capability, allowlisted and recommended for the tier", () => {
    expect(checkTiersAgainstRegistry(loadTiers(), loadModelRegistry())).toEqual([]);
  });

  it("reports a tier model that is missing, of the wrong kind or not allowlisted", () => {
    const tiers = loadTiers(clone(tiersJson));
    tiers.nano.defaultModel = "gpt-5";
    tiers.micro.embeddingModel = "qwen2.5-1.5b-q8_0";
    tiers.large.rerankModel = "bge-reranker-v2-m3-q8_0";
    tiers.small.rerankModel = "qwen2.5-0.5b-q8_0";
    const reg = loadModelRegistry(clone(modelsJson));
    reg.allowlist = reg.allowlist.filter((r) => r !== "bartowski/Qwen2.5-7B-Instruct-GGUF");
    expect(checkTiersAgainstRegistry(tiers, reg)).toEqual([
      "nano.defaultModel: gpt-5 is not in lib/models.json",
      "micro.embeddingModel: qwen2.5-1.5b-q8_0 lacks the embedding capability",
      "small.rerankModel: qwen2.5-0.5b-q8_0 lacks the rerank capability",
      "small.rerankModel: qwen2.5-0.5b-q8_0 does not list small in recommended_for",
      "medium.defaultModel: qwen2.5-7b-q4_k_m comes from bartowski/Qwen2.5-7B-Instruct-GGUF, which is not allowlisted",
    ]);
  });
});
