import { maxThresholdStep, type BucketRatings, type Evidence, type RatingsResponse, type RoutingThresholdAdjustment } from "../../aidb/api/learningContract.js";

export interface ThresholdPolicy {
  /** Ratings of local answers the window needs before anything is proposed. */
  minRatings: number;
  /** Ratings a bucket needs to count on its own. */
  minBucketRatings: number;
  targetSuccessRate: number;
  deadBand: number;
  /** At most maxThresholdStep (0.05). */
  maxStep: number;
  thresholdMin: number;
  thresholdMax: number;
}

/** How far the threshold moves per unit of distance from the target success rate (before the step bound). */
const gain = 0.5;

export type ThresholdDecision =
  | { kind: "propose"; proposal: RoutingThresholdAdjustment }
  | { kind: "skip"; reason: "not_enough_ratings" | "within_target"; evidence: Evidence }
  /** The threshold is at the end of its range and the ratings would push it further. */
  | { kind: "skip"; reason: "at_bound"; bound: "min" | "max"; successRate: number; evidence: Evidence; weakBuckets: string[] };

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const rate = (good: number, bad: number) => (good + bad === 0 ? null : good / (good + bad));

/**
 * The weekly threshold decision, a pure function of the window's ratings.
 *
 * The local model's success rate is the mean of the success rates of the
 * buckets with at least `minBucketRatings` local ratings (each query type
 * counts the same, so one busy type does not decide for the others); with
 * no such bucket, all local ratings pooled. Above the target (beyond the
 * dead band) the threshold goes down, so more questions are answered
 * locally; below it the threshold goes up, sending more to the remote. The
 * move is half the distance from the target, at most `maxStep` (never more
 * than 0.05), then clamped to [thresholdMin, thresholdMax].
 */
export function decideThresholdChange(ratings: RatingsResponse, current: number, policy: ThresholdPolicy): ThresholdDecision {
  const step = Math.min(policy.maxStep, maxThresholdStep);
  const local = ratings.buckets.reduce((n, b) => n + b.local.good + b.local.bad, 0);
  const remote = ratings.buckets.reduce((n, b) => ({ good: n.good + b.remote.good, bad: n.bad + b.remote.bad }), { good: 0, bad: 0 });
  const counted = ratings.buckets.filter((b) => b.local.good + b.local.bad >= policy.minBucketRatings);
  const pooled = rate(
    ratings.buckets.reduce((n, b) => n + b.local.good, 0),
    ratings.buckets.reduce((n, b) => n + b.local.bad, 0),
  );
  const successRate = counted.length > 0 ? counted.reduce((s, b) => s + rate(b.local.good, b.local.bad)!, 0) / counted.length : pooled;
  const describe = (b: BucketRatings) => ({
    bucket: b.bucket,
    local: b.local,
    remote: b.remote,
    local_success_rate: rate(b.local.good, b.local.bad) === null ? null : round3(rate(b.local.good, b.local.bad)!),
    counted: counted.includes(b),
  });
  const data = {
    buckets: ratings.buckets.map(describe),
    local_ratings: local,
    remote_ratings: remote,
    local_success_rate: successRate === null ? null : round3(successRate),
    averaged_over: counted.length > 0 ? "buckets" : "pooled",
    target_success_rate: policy.targetSuccessRate,
    dead_band: policy.deadBand,
    min_ratings: policy.minRatings,
    range: [policy.thresholdMin, policy.thresholdMax],
  };
  const evidence = (summary: string): Evidence => ({ summary, window_start: ratings.window_start, window_end: ratings.window_end, ratings: local, data });

  if (local < policy.minRatings || successRate === null) {
    return { kind: "skip", reason: "not_enough_ratings", evidence: evidence(`${local} ratings of local answers in the window; at least ${policy.minRatings} are needed`) };
  }
  const distance = successRate - policy.targetSuccessRate;
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  if (Math.abs(distance) <= policy.deadBand) {
    return {
      kind: "skip",
      reason: "within_target",
      evidence: evidence(`local success ${pct(successRate)} is within ${pct(policy.deadBand)} of the ${pct(policy.targetSuccessRate)} target`),
    };
  }
  const delta = Math.max(-step, Math.min(step, -distance * gain));
  // Into the range, then never more than one step from where it is (a threshold outside the range walks back in).
  const clamped = Math.max(policy.thresholdMin, Math.min(policy.thresholdMax, current + delta));
  const proposed = round3(current + Math.max(-step, Math.min(step, clamped - current)));
  const direction = distance > 0 ? "lower" : "raise";
  const why = `local success ${pct(successRate)} over ${local} ratings (${counted.length} bucket${counted.length === 1 ? "" : "s"} counted) against a ${pct(policy.targetSuccessRate)} target`;
  if (proposed === round3(current) || Math.sign(proposed - current) !== Math.sign(delta)) {
    const weakBuckets = counted.filter((b) => rate(b.local.good, b.local.bad)! < policy.targetSuccessRate - policy.deadBand).map((b) => b.bucket);
    return {
      kind: "skip",
      reason: "at_bound",
      bound: delta < 0 ? "min" : "max",
      successRate,
      weakBuckets,
      evidence: evidence(`${why}: would ${direction} the threshold, but it is at the ${delta < 0 ? "lower" : "upper"} end of its range`),
    };
  }
  // Agreement: the share of counted buckets pointing the same way as the whole.
  const agreeing = counted.filter((b) => Math.sign(rate(b.local.good, b.local.bad)! - policy.targetSuccessRate) === Math.sign(distance)).length;
  const agreement = counted.length > 0 ? agreeing / counted.length : 1;
  const confidence = round3(Math.min(1, local / (2 * policy.minRatings)) * agreement);
  return {
    kind: "propose",
    proposal: {
      type: "routing_threshold_adjustment",
      target: "local_confidence_threshold",
      current_value: current,
      proposed_value: proposed,
      evidence: evidence(`${why}: ${direction} the threshold from ${current} to ${proposed}`),
      confidence,
    },
  };
}
