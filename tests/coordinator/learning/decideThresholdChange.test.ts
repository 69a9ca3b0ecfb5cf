import { describe, expect, it } from "vitest";
import { proposalSchema, type RatingsResponse } from "../../../services/aidb/api/learningContract.js";
import { decideThresholdChange, type ThresholdPolicy } from "../../../services/coordinator/learning/decideThresholdChange.js";
import { classifyQueryBucket } from "../../../services/shared/text/classifyQueryBucket.js";
import expansion from "../../../lib/query-expansion.json" with { type: "json" };

const policy: ThresholdPolicy = { minRatings: 20, minBucketRatings: 5, targetSuccessRate: 0.75, deadBand: 0.05, maxStep: 0.05, thresholdMin: 0.3, thresholdMax: 0.9 };

const ratings = (buckets: [string, number, number][], remote: [number, number] = [0, 0]): RatingsResponse => ({
  window_start: "2026-01-01T00:00:00.000Z",
  window_end: "2026-01-08T00:00:00.000Z",
  interactions: 100,
  gaps: 0,
  buckets: buckets.map(([bucket, good, bad], i) => ({
    bucket,
    local: { good, bad },
    remote: i === 0 ? { good: remote[0], bad: remote[1] } : { good: 0, bad: 0 },
    other: { good: 0, bad: 0 },
  })),
});

describe("decideThresholdChange", () => {
  it("lowers the threshold when local answers do well, by at most one step, with evidence per bucket", () => {
    const d = decideThresholdChange(ratings([["flake", 19, 1], ["gpu", 18, 2]]), 0.7, policy);
    expect(d.kind).toBe("propose");
    if (d.kind !== "propose") return;
    expect(d.proposal).toMatchObject({ type: "routing_threshold_adjustment", target: "local_confidence_threshold", current_value: 0.7, proposed_value: 0.65 });
    expect(proposalSchema.safeParse(d.proposal).success).toBe(true);
    expect(d.proposal.evidence.ratings).toBe(40);
    expect(d.proposal.evidence.data).toMatchObject({ local_success_rate: 0.925, averaged_over: "buckets" });
    expect(d.proposal.confidence).toBe(1);
    expect(d.proposal.evidence.summary).toMatch(/lower the threshold from 0.7 to 0.65/);
  });

  it("raises it when local answers do badly; a small distance moves it less than a step", () => {
    const d = decideThresholdChange(ratings([["flake", 13, 7], ["gpu", 13, 7]]), 0.6, policy);
    // 65% against 75%: half the distance, 0.05... and 55% would be capped at 0.05.
    expect(d).toMatchObject({ kind: "propose", proposal: { current_value: 0.6, proposed_value: 0.65 } });
    const near = decideThresholdChange(ratings([["flake", 14, 6], ["gpu", 13, 7]]), 0.6, { ...policy, deadBand: 0.01 });
    // 67.5%: half of 7.5 points, +0.0375.
    expect(near.kind === "propose" && near.proposal.proposed_value).toBeCloseTo(0.6375, 2);
  });

  it("needs enough ratings, and leaves the threshold alone inside the dead band", () => {
    expect(decideThresholdChange(ratings([["flake", 19, 0]]), 0.7, policy)).toMatchObject({ kind: "skip", reason: "not_enough_ratings" });
    expect(decideThresholdChange(ratings([["flake", 15, 5], ["gpu", 16, 4]]), 0.7, policy)).toMatchObject({ kind: "skip", reason: "within_target" });
  });

  it("clamps to the configured range and says when it is stuck at an end", () => {
    const up = decideThresholdChange(ratings([["flake", 2, 18], ["gpu", 3, 17]]), 0.88, policy);
    expect(up).toMatchObject({ kind: "propose", proposal: { proposed_value: 0.9 } });
    const stuck = decideThresholdChange(ratings([["flake", 2, 18], ["gpu", 19, 1]]), 0.9, policy);
    // 52.5% on average: up, but 0.9 is the top; flake is the weak bucket.
    expect(stuck).toMatchObject({ kind: "skip", reason: "at_bound", bound: "max", weakBuckets: ["flake"] });
    const down = decideThresholdChange(ratings([["flake", 20, 0], ["gpu", 20, 0]]), 0.3, policy);
    expect(down).toMatchObject({ kind: "skip", reason: "at_bound", bound: "min" });
    // Below the range, ratings that would lower it further change nothing.
    expect(decideThresholdChange(ratings([["flake", 20, 0], ["gpu", 20, 0]]), 0.2, policy)).toMatchObject({ kind: "skip", reason: "at_bound", bound: "min" });
  });

  it("never steps more than 0.05, even when configured to", () => {
    const d = decideThresholdChange(ratings([["flake", 0, 40]]), 0.5, { ...policy, maxStep: 0.5 });
    expect(d).toMatchObject({ kind: "propose", proposal: { proposed_value: 0.55 } });
  });

  it("counts each bucket the same (a busy bucket does not outvote the rest), pooling small buckets", () => {
    // flake: 95% of 100; gpu: 20% of 10 -> mean 57.5% -> raise; pooled would be 88% -> lower.
    const d = decideThresholdChange(ratings([["flake", 95, 5], ["gpu", 2, 8]]), 0.7, policy);
    expect(d).toMatchObject({ kind: "propose", proposal: { proposed_value: 0.75 } });
    if (d.kind === "propose") expect(d.proposal.confidence).toBe(0.5); // half the buckets agree
    const pooled = decideThresholdChange(ratings([["flake", 4, 0], ["gpu", 4, 0], ["rag", 4, 0], ["nixpkgs", 4, 0], ["option", 4, 0]]), 0.7, policy);
    expect(pooled).toMatchObject({ kind: "propose", proposal: { proposed_value: 0.65, evidence: { data: { averaged_over: "pooled" } } } });
  });

  it("the typed schema refuses a step above 0.05 and a proposal that changes nothing", () => {
    const base = { type: "routing_threshold_adjustment", target: "local_confidence_threshold", current_value: 0.7, confidence: 0.5, evidence: { summary: "s", window_start: "2026-01-01T00:00:00Z", window_end: "2026-01-08T00:00:00Z", ratings: 1 } };
    expect(proposalSchema.safeParse({ ...base, proposed_value: 0.76 }).success).toBe(false);
    expect(proposalSchema.safeParse({ ...base, proposed_value: 0.7 }).success).toBe(false);
    expect(proposalSchema.safeParse({ ...base, proposed_value: 0.75 }).success).toBe(true);
    expect(proposalSchema.safeParse({ ...base, type: "iteration_limit_increase", target: "max_query_rewrites", current_value: 3, proposed_value: 6 }).success).toBe(false);
    expect(proposalSchema.safeParse({ ...base, type: "nonsense" }).success).toBe(false);
  });
});

describe("classifyQueryBucket", () => {
  it("buckets a question by the vocabulary term it names most, plural included", () => {
    expect(classifyQueryBucket("How do flakes pin their inputs in flake.lock?", expansion)).toBe("flake");
    expect(classifyQueryBucket("How many layers can I offload to my GPUs with CUDA?", expansion)).toBe("gpu");
    expect(classifyQueryBucket("what is the weather like", expansion)).toBe("general");
  });
});
