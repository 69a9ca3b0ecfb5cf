import { describe, expect, it } from "vitest";
import { allProjectsPlaceholder, formatGaps } from "../../../services/coordinator/store/formatGaps.js";
import type { GapSummary } from "../../../services/aidb/api/interactionsContract.js";

const gap = (over: Partial<GapSummary>): GapSummary => ({
  query_text: "how do I rotate wireguard keys",
  query_text_hash: "h1",
  count: 3,
  best_score: 0.3123,
  last_seen: "2026-11-20T10:00:00.000Z",
  collection_searched: "nixos",
  ...over,
});

describe("formatGaps", () => {
  it("is empty when there are no gaps", () => {
    expect(formatGaps([])).toBe("");
  });

  it("prints each gap with its count, query, best score and last sighting, then a suggested ingest", () => {
    const out = formatGaps([
      gap({}),
      gap({ query_text: "what is\n  flake-parts", query_text_hash: "h2", count: 1, best_score: 0.05, collection_searched: "*" }),
    ]);
    expect(out).toBe(
      [
        `3x "how do I rotate wireguard keys"  best score 0.312, last seen 2026-11-20T10:00:00.000Z`,
        `# Suggested: aq ingest --project nixos <path-or-url>`,
        ``,
        `1x "what is flake-parts"  best score 0.050, last seen 2026-11-20T10:00:00.000Z`,
        `# Suggested: aq ingest --project ${allProjectsPlaceholder} <path-or-url>`,
        ``,
      ].join("\n"),
    );
    expect(out.match(/^# Suggested: aq ingest --project \S+ <path-or-url>$/gm)).toHaveLength(2);
  });

  it("quotes a project name the shell would split, and cuts a long query to one short line", () => {
    const out = formatGaps([gap({ collection_searched: "my notes", query_text: `${"long ".repeat(100)}end "quoted"` })]);
    const [first, second] = out.split("\n");
    expect(second).toBe("# Suggested: aq ingest --project 'my notes' <path-or-url>");
    expect(first.length).toBeLessThan(260);
    expect(first).toContain("…");
    expect(formatGaps([gap({ query_text: 'say "hi"' })])).toContain(String.raw`3x "say \"hi\""`);
    expect(formatGaps([gap({ collection_searched: "it's" })])).toContain(String.raw`--project 'it'\''s' <path-or-url>`);
  });
});
