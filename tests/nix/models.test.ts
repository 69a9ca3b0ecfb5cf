import { describe, expect, it } from "vitest";
import { aiLib, nixEval, nixEvalError, nixMissing } from "./nixEval.js";

if (nixMissing) console.warn(`tests/nix/models: skipped: ${nixMissing}`);

describe.skipIf(nixMissing !== null)("model selection (lib/models.nix)", () => {
  const select = (tier: string, ram: number) => nixEval<string>(`${aiLib}.selectModel { tier = "${tier}"; systemRamGb = ${ram}; }`);

  it("keeps each tier's default model when its memory budget fits a typical host of the tier", () => {
    const picks = nixEval<Record<string, string>>(
      `let l = ${aiLib}; in { nano = l.selectModel { tier = "nano"; systemRamGb = 2; }; micro = l.selectModel { tier = "micro"; systemRamGb = 8; }; small = l.selectModel { tier = "small"; systemRamGb = 16; }; medium = l.selectModel { tier = "medium"; systemRamGb = 27; }; large = l.selectModel { tier = "large"; systemRamGb = 64; }; }`,
    );
    expect(picks).toEqual({
      nano: "qwen2.5-0.5b-q8_0",
      micro: "qwen2.5-1.5b-q8_0",
      small: "phi-4-mini-q4_k_m",
      medium: "qwen2.5-7b-q4_k_m",
      large: "qwen2.5-14b-q4_k_m",
    });
  });

  it("falls back to the largest chat model whose memory budget fits when the default's does not (lib/memory-budget.nix)", () => {
    // A 4 GB micro board: the 1.5B with the micro tier's reranker and monitoring needs more than 4 GB less the OS reserve.
    expect(select("micro", 4)).toBe("qwen2.5-0.5b-q8_0");
    // 15 GB on the large tier: the 14B with 16384 tokens x 4 sequences of KV cache does not fit; the 7B does.
    expect(select("large", 15)).toBe("qwen2.5-7b-q4_k_m");
    // medium on 6 GB: 16384 x 4 of KV cache leaves room for the 0.5B only.
    expect(select("medium", 6)).toBe("qwen2.5-0.5b-q8_0");
    const fits = (tier: string, ram: number, model: string) =>
      nixEval<boolean>(`let l = ${aiLib}; t = l.tiers.${tier}; in (l.memoryBudget { tier = "${tier}"; systemRamGb = ${ram}; model = "${model}"; inherit (t) embeddingModel rerankModel; }).fits`);
    expect(fits("large", 15, "qwen2.5-14b-q4_k_m")).toBe(false);
    expect(fits("large", 15, "qwen2.5-7b-q4_k_m")).toBe(true);
  });

  it("gives the smallest chat model when nothing fits", () => {
    expect(select("nano", 1)).toBe("qwen2.5-0.5b-q8_0");
  });

  it("never picks an embedding model or a reranker", () => {
    const chatIds = nixEval<string[]>(`map (m: m.id) ${aiLib}.chatModels`);
    expect(chatIds).not.toContain("nomic-embed-text-v1.5-q8_0");
    expect(chatIds).not.toContain("qwen3-reranker-0.6b-q8_0");
    for (const ram of [1, 3, 6, 12, 100]) expect(chatIds).toContain(select("large", ram));
  });

  it("warns at more than 70% of RAM and not at or below it", () => {
    const exceeds = (model: string, ram: number) => nixEval<boolean>(`${aiLib}.exceedsRamBudget { model = "${model}"; systemRamGb = ${ram}; }`);
    expect(exceeds("qwen2.5-14b-q4_k_m", 12)).toBe(true);
    expect(exceeds("qwen2.5-14b-q4_k_m", 15)).toBe(false);
    expect(exceeds("qwen2.5-0.5b-q8_0", 1)).toBe(true);
  });

  it("names the unknown id when a model is not in the registry", () => {
    expect(nixEvalError(`${aiLib}.modelById "gpt-5"`)).toMatch(/unknown model id 'gpt-5'/);
  });
});

describe.skipIf(nixMissing !== null)("download plan (lib/models.nix downloadPlan)", () => {
  interface PlanEntry {
    id: string;
    hf_repo: string;
    destination: string;
    sha256: string | null;
    revision: string | null;
    refusal: string | null;
  }
  const plan = (models: string[], extra = "") =>
    nixEval<PlanEntry[]>(`${aiLib}.downloadPlan { models = ${JSON.stringify(models).replace(/,/g, " ")}; modelsDir = "/m"; ${extra} }`);

  it("plans every default model of every tier pinned to a revision, refusing only the one whose revision is unknown", () => {
    const ids = nixEval<string[]>(
      `let l = ${aiLib}; in builtins.filter (x: x != null) (builtins.concatMap (t: [ l.tiers.\${t}.defaultModel l.tiers.\${t}.embeddingModel l.tiers.\${t}.rerankModel ]) l.tierNames)`,
    );
    const entries = plan([...new Set(ids)]);
    expect(entries.length).toBeGreaterThanOrEqual(7);
    for (const e of entries) {
      expect(e.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(e.destination).toMatch(/^\/m\/[^/]+\.gguf$/);
      if (e.revision === null) expect(e.refusal, e.id).toMatch(new RegExp(`^registry entry ${e.id} has no revision`));
      else {
        expect(e.revision, e.id).toMatch(/^[0-9a-f]{40}$/);
        expect(e.refusal, e.id).toBeNull();
      }
    }
    // No published commit of the 14B file could be found; it stays unpinned (and refused) rather than invented.
    expect(entries.filter((e) => e.revision === null).map((e) => e.id)).toEqual(["qwen2.5-14b-q4_k_m"]);
  });

  it("refuses an entry without a revision, as it refuses one without a sha256", () => {
    const [e] = plan(["qwen2.5-14b-q4_k_m"]);
    expect(e?.refusal).toBe("registry entry qwen2.5-14b-q4_k_m has no revision; fill in the upstream commit its sha256 was published at in lib/models.json before downloading");
  });

  it("refuses a repository that is not on the allowlist", () => {
    const [e] = plan(["qwen2.5-0.5b-q8_0"], `allowlist = [ "someone/else" ];`);
    expect(e?.refusal).toBe("repository Qwen/Qwen2.5-0.5B-Instruct-GGUF is not on the registry allowlist");
  });
});
