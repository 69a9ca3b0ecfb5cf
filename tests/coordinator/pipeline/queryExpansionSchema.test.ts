import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { queryExpansionSchema } from "../../../services/coordinator/pipeline/queryExpansionSchema.js";

const file = resolve(import.meta.dirname, "../../../lib/query-expansion.json");

describe("queryExpansionSchema", () => {
  it("accepts lib/query-expansion.json, which holds the terms the issue names", () => {
    const map = queryExpansionSchema.parse(JSON.parse(readFileSync(file, "utf8")));
    for (const t of ["flake", "module", "derivation", "quantization", "inference", "embedding", "overlay", "nixpkgs", "home-manager", "rag", "reranker"]) {
      expect(map.terms[t], t).toBeDefined();
    }
    expect(map.terms.flake).toEqual(expect.arrayContaining(["flake.nix", "inputs", "outputs", "follows", "lock"]));
    expect(Object.keys(map.terms).length).toBeGreaterThanOrEqual(18);
  });

  it.each([
    ["an uppercase term", { version: 1, terms: { Flake: ["lock"] } }, "terms.Flake"],
    ["an empty expansion list", { version: 1, terms: { flake: [] } }, "terms.flake"],
    ["a duplicate expansion, case aside", { version: 1, terms: { flake: ["lock", "Lock"] } }, "terms.flake.1"],
    ["an empty expansion", { version: 1, terms: { flake: [" "] } }, "terms.flake.0"],
    ["another version", { version: 2, terms: { flake: ["lock"] } }, "version"],
    ["no terms", { version: 1, terms: {} }, "terms"],
  ])("rejects %s", (_name, value, path) => {
    const r = queryExpansionSchema.safeParse(value);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join("."))).toContain(path);
  });
});
