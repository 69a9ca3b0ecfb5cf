import { describe, expect, it } from "vitest";
import { aiLib, nixEval, nixEvalError, nixMissing } from "./nixEval.js";

if (nixMissing) console.warn(`tests/nix/models: skipped: ${nixMissing}`);

describe.skipIf(nixMissing !== null)("model selection (lib/models.nix)", () => {
  const select = (tier: string, ram: number) => nixEval<string>(`${aiLib}.selectModel { tier = "${tier}"; systemRamGb = ${ram}; }`);

  it("keeps each tier's default model when it fits in 70% of a typical host's RAM", () => {
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

  it("falls back to the largest chat model that fits when the default would take more than 70% of RAM", () => {
    // medium's 7B needs 5.6 GB; 70% of 6 GB is 4.2 GB, so phi-4-mini (3.3 GB) it is.
    expect(select("medium", 6)).toBe("phi-4-mini-q4_k_m");
    // large's 14B needs 10.5 GB; 70% of 12 GB is 8.4 GB, so the 7B (5.6 GB).
    expect(select("large", 12)).toBe("qwen2.5-7b-q4_k_m");
    // 15 GB: 10.5 GB fits exactly at 70% (10.5), so the default stays.
    expect(select("large", 15)).toBe("qwen2.5-14b-q4_k_m");
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
