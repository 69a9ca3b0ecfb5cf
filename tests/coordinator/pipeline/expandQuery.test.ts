import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { expandQuery } from "../../../services/coordinator/pipeline/expandQuery.js";
import { queryExpansionSchema, type QueryExpansionMap } from "../../../services/coordinator/pipeline/queryExpansionSchema.js";

const shipped = queryExpansionSchema.parse(
  JSON.parse(readFileSync(resolve(import.meta.dirname, "../../../lib/query-expansion.json"), "utf8")),
);

const map: QueryExpansionMap = {
  version: 1,
  terms: {
    flake: ["flake.nix", "inputs", "lock"],
    module: ["NixOS module", "config"],
    "context window": ["n_ctx", "KV cache"],
    inference: ["llama.cpp", "KV cache"],
    "home-manager": ["home.nix"],
  },
};

describe("expandQuery", () => {
  it("appends a term's expansions, case-insensitively", () => {
    const r = expandQuery("How do I pin a FLAKE input?", map);
    expect(r.added).toEqual(["flake.nix", "inputs", "lock"]);
    expect(r.expanded).toBe("How do I pin a FLAKE input? flake.nix inputs lock");
    expect(r.query).toBe("How do I pin a FLAKE input?");
  });

  it("matches plurals", () => {
    expect(expandQuery("two flakes", map).added).toEqual(["flake.nix", "inputs", "lock"]);
    expect(expandQuery("NixOS modules", map).added).toEqual(["NixOS module", "config"]);
  });

  it("matches whole words only", () => {
    expect(expandQuery("snowflake modulesx flakey", map)).toEqual({ query: "snowflake modulesx flakey", expanded: "snowflake modulesx flakey", added: [] });
  });

  it("matches multi-word and hyphenated terms across whitespace", () => {
    expect(expandQuery("raise the context\n window", map).added).toEqual(["n_ctx", "KV cache"]);
    expect(expandQuery("Home-Manager setup", map).added).toEqual(["home.nix"]);
    expect(expandQuery("home manager setup", map).added).toEqual([]);
  });

  it("skips expansions already in the query or already added", () => {
    expect(expandQuery("flake.nix inputs for a flake", map).added).toEqual(["lock"]);
    // KV cache comes from both terms; it is added once.
    expect(expandQuery("inference context window", map).added).toEqual(["llama.cpp", "KV cache", "n_ctx"]);
  });

  it("orders terms by where they occur in the query", () => {
    expect(expandQuery("module in a flake", map).added).toEqual(["NixOS module", "config", "flake.nix", "inputs", "lock"]);
    expect(expandQuery("flake with a module", map).added).toEqual(["flake.nix", "inputs", "lock", "NixOS module", "config"]);
  });

  it("bounds the number of added terms", () => {
    const q = "flake module derivation quantization inference embedding overlay nixpkgs rag reranker";
    const r = expandQuery(q, shipped);
    expect(r.added).toHaveLength(12);
    expect(expandQuery(q, shipped, { maxAdded: 3 }).added).toHaveLength(3);
    expect(expandQuery(q, shipped, { maxAdded: 0 }).expanded).toBe(q);
    expect(expandQuery(q, shipped)).toEqual(r);
  });

  it("expands the issue's examples with the shipped map", () => {
    expect(expandQuery("quantization of a model", shipped).added).toEqual(expect.arrayContaining(["GGUF", "Q4_K_M"]));
    expect(expandQuery("embedding search", shipped).added).toEqual(expect.arrayContaining(["HNSW", "cosine similarity"]));
    expect(expandQuery("derivation", shipped).added).toContain("mkDerivation");
  });

  it("treats regex characters in terms literally", () => {
    const m: QueryExpansionMap = { version: 1, terms: { "c++": ["cpp"] } };
    expect(expandQuery("c++ build", m).added).toEqual(["cpp"]);
    expect(expandQuery("cc build", m).added).toEqual([]);
  });
});
