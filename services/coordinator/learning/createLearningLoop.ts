import type { Logger } from "pino";
import type { AidbClient } from "../../aidb/api/createAidbClient.js";
import {
  maxThresholdStep,
  proposalSchema,
  type CodeChangeRequired,
  type IterationLimitIncrease,
  type Proposal,
  type StoredProposal,
} from "../../aidb/api/learningContract.js";
import { ConfigError } from "../../shared/config/ConfigError.js";
import { formatZodIssues } from "../../shared/formatZodIssues.js";
import type { CoordinatorConfig } from "../coordinatorConfigSchema.js";
import type { RoutingConfigStore } from "../routing/RoutingConfigStore.js";
import { appendChangeEntry } from "./appendChangeEntry.js";
import { decideThresholdChange } from "./decideThresholdChange.js";
import { ProposalApplyError } from "./ProposalApplyError.js";

const dayMs = 86_400_000;
/** The window of ratings, the cadence of threshold proposals and the span of the weekly step bound. */
export const learningWindowMs = 7 * dayMs;

export type JobOutcome =
  | { kind: "proposed"; type: Proposal["type"]; proposal: StoredProposal }
  | { kind: "applied"; type: Proposal["type"]; proposal: StoredProposal }
  | { kind: "would_propose"; type: Proposal["type"]; proposal: Proposal }
  | { kind: "skipped"; type: Proposal["type"]; reason: string; summary: string };

export interface JobReport {
  ran_at: string;
  window_start: string;
  window_end: string;
  dry_run: boolean;
  outcomes: JobOutcome[];
}

export interface LearningLoop {
  /** The weekly job: looks at the last 7 days of ratings and gaps and proposes (or, with learningAutoApply, applies) changes. */
  run(opts?: { dryRun?: boolean; actor?: string }): Promise<JobReport>;
  /** Applies an open proposal deterministically and records it; throws ProposalApplyError when it cannot. */
  approve(id: string, opts: { actor: string; note?: string }): Promise<StoredProposal>;
  /** Records a rejection; nothing else changes. */
  reject(id: string, opts: { actor: string; note?: string }): Promise<StoredProposal>;
}

export interface LearningLoopOptions {
  aidb: AidbClient;
  routingConfig: RoutingConfigStore;
  config: CoordinatorConfig;
  logger: Logger;
  /** The clock of the job and of every decision (tests simulate weeks with it). */
  clock: () => Date;
  /** Where code_change_required entries are appended. */
  changesFile: string;
}

/**
 * The learning loop's decisions (docs/learning.md). aidb keeps the record
 * (ratings, proposals, events); this side owns routing-config.json and the
 * changes file, so it proposes and applies. Every proposal is checked
 * against its typed schema when made (by aidb) and again here before it is
 * applied; applying is deterministic per type.
 */
export function createLearningLoop(o: LearningLoopOptions): LearningLoop {
  const { aidb, routingConfig, config, logger, clock } = o;

  async function propose(proposal: Proposal, actor: string, at: Date): Promise<StoredProposal> {
    const stored = await aidb.learning.propose(proposal, { actor, at });
    logger.info(
      { event: "proposal_created", proposal_id: stored.id, type: proposal.type, target: proposal.target, current: proposal.current_value, proposed: proposal.proposed_value, confidence: proposal.confidence, evidence: proposal.evidence.summary },
      `proposed ${proposal.type}: ${proposal.target} ${String(proposal.current_value)} -> ${String(proposal.proposed_value)}`,
    );
    return stored;
  }

  async function open(id: string): Promise<StoredProposal & { proposal: Proposal }> {
    const stored = await aidb.learning.get(id);
    if (!stored) throw new ProposalApplyError("proposal_not_open", `no proposal ${id}`, { status: "missing" });
    if (stored.status !== "open") throw new ProposalApplyError("proposal_not_open", `proposal ${id} is ${stored.status}, not open`, { status: stored.status });
    // Checked again on apply: a payload stored by an older version, or edited in the database, is refused here.
    const parsed = proposalSchema.safeParse(stored.proposal);
    if (!parsed.success) {
      const issue = formatZodIssues(parsed.error)[0]!;
      throw new ProposalApplyError("proposal_invalid", `proposal ${id} does not validate: ${issue.path}: ${issue.message}`);
    }
    return { ...stored, proposal: parsed.data };
  }

  /** The change a proposal makes, after checking it still applies to what is in force. */
  async function applyChange(stored: StoredProposal & { proposal: Proposal }, at: Date, actor: string, note?: string): Promise<Record<string, unknown>> {
    const p = stored.proposal;
    switch (p.type) {
      case "routing_threshold_adjustment": {
        const now = routingConfig.current().threshold;
        if (Math.abs(now - p.current_value) > 1e-9) {
          throw new ProposalApplyError("proposal_stale", `the threshold is ${now} now, not the ${p.current_value} the proposal was made for`, { current: now });
        }
        const history = await aidb.learning.thresholdHistory(1000);
        const since = at.getTime() - learningWindowMs;
        const moved = history.filter((h) => new Date(h.at).getTime() > since && new Date(h.at).getTime() <= at.getTime()).reduce((s, h) => s + Math.abs(h.to - h.from), 0);
        const step = Math.abs(p.proposed_value - p.current_value);
        if (moved + step > maxThresholdStep + 1e-9) {
          throw new ProposalApplyError("weekly_step_exceeded", `the threshold already moved ${Math.round(moved * 1000) / 1000} in the 7 days before ${at.toISOString()}; another ${step} would exceed ${maxThresholdStep}`, {
            moved,
            step,
            limit: maxThresholdStep,
          });
        }
        writeRouting({ local_confidence_threshold: p.proposed_value });
        return { file: routingConfig.file, key: p.target, from: p.current_value, to: p.proposed_value };
      }
      case "iteration_limit_increase": {
        const now = routingConfig.current().maxQueryRewrites;
        if (now !== p.current_value) throw new ProposalApplyError("proposal_stale", `max_query_rewrites is ${now} now, not ${p.current_value}`, { current: now });
        writeRouting({ max_query_rewrites: p.proposed_value });
        return { file: routingConfig.file, key: p.target, from: p.current_value, to: p.proposed_value };
      }
      case "code_change_required": {
        const entry = appendChangeEntry(o.changesFile, p, { id: stored.id, at, actor, note });
        return { file: o.changesFile, appended_chars: entry.length };
      }
    }
  }

  function writeRouting(patch: Record<string, unknown>): void {
    try {
      routingConfig.write(patch);
    } catch (err) {
      if (err instanceof ConfigError) throw new ProposalApplyError("apply_failed", err.message);
      throw err;
    }
  }

  async function approveAt(id: string, at: Date, actor: string, note?: string): Promise<StoredProposal> {
    const stored = await open(id);
    let detail: Record<string, unknown>;
    try {
      detail = await applyChange(stored, at, actor, note);
    } catch (err) {
      if (err instanceof ProposalApplyError && err.code !== "proposal_not_open") {
        // Kept: the attempt and why it failed; the proposal stays open.
        await aidb.learning.decide(id, { decision: "apply_failed", actor, note: err.message, at, detail: { code: err.code, ...err.details } }).catch(() => undefined);
        logger.warn({ event: "proposal_apply_failed", proposal_id: id, code: err.code, reason: err.message, actor }, `proposal ${id} not applied: ${err.message}`);
      }
      throw err;
    }
    const decided = await aidb.learning.decide(id, { decision: "applied", actor, note, at, detail });
    logger.info({ event: "proposal_applied", proposal_id: id, type: stored.proposal.type, actor, note, ...detail }, `proposal ${id} applied`);
    return decided!;
  }

  return {
    async run(opts = {}) {
      const at = clock();
      const actor = opts.actor ?? "weekly job";
      const since = new Date(at.getTime() - learningWindowMs);
      const ratings = await aidb.learning.ratings(since, at);
      const outcomes: JobOutcome[] = [];
      const report = (): JobReport => ({ ran_at: at.toISOString(), window_start: since.toISOString(), window_end: at.toISOString(), dry_run: Boolean(opts.dryRun), outcomes });
      const emit = async (proposal: Proposal) => {
        if (opts.dryRun) return void outcomes.push({ kind: "would_propose", type: proposal.type, proposal });
        const stored = await propose(proposal, actor, at);
        if (config.learningAutoApply) {
          try {
            outcomes.push({ kind: "applied", type: proposal.type, proposal: await approveAt(stored.id, at, "auto-apply") });
            return;
          } catch (err) {
            if (!(err instanceof ProposalApplyError)) throw err;
          }
        }
        outcomes.push({ kind: "proposed", type: proposal.type, proposal: (await aidb.learning.get(stored.id)) ?? stored });
      };

      // 1. The threshold: at most one proposal per 7 days.
      const recent = (await aidb.learning.list({ type: "routing_threshold_adjustment", limit: 20 })).find(
        (p) => p.status !== "superseded" && new Date(p.created_at).getTime() > since.getTime() && new Date(p.created_at).getTime() <= at.getTime(),
      );
      const current = routingConfig.current().threshold;
      if (recent) {
        outcomes.push({ kind: "skipped", type: "routing_threshold_adjustment", reason: "already_proposed_this_week", summary: `proposal ${recent.id} (${recent.status}) was made ${recent.created_at}` });
      } else {
        const d = decideThresholdChange(ratings, current, {
          minRatings: config.learningMinRatings,
          minBucketRatings: config.learningMinBucketRatings,
          targetSuccessRate: config.learningTargetSuccessRate,
          deadBand: config.learningDeadBand,
          maxStep: config.learningMaxStep,
          thresholdMin: config.learningThresholdMin,
          thresholdMax: config.learningThresholdMax,
        });
        if (d.kind === "propose") await emit(d.proposal);
        else {
          outcomes.push({ kind: "skipped", type: "routing_threshold_adjustment", reason: d.reason, summary: d.evidence.summary });
          // Sending more to the remote is as far as routing goes: what is left needs a person.
          if (d.reason === "at_bound" && d.bound === "max") {
            const change: CodeChangeRequired = {
              type: "code_change_required",
              target: "local_model",
              title: `The local model fails ${d.weakBuckets.length ? d.weakBuckets.join(", ") : "its questions"} even at the highest threshold`,
              current_value: `local_confidence_threshold ${current} (the top of its range)`,
              proposed_value: `Improve the local answers${d.weakBuckets.length ? ` for ${d.weakBuckets.join(", ")}` : ""}: a larger or better-suited model (services.ai-stack.model), more knowledge for these topics (aq sources), or a wider threshold range (learningThresholdMax).`,
              evidence: d.evidence,
              confidence: Math.min(1, d.evidence.ratings / (2 * config.learningMinRatings)),
            };
            const open = (await aidb.learning.list({ type: "code_change_required", status: "open", limit: 50 })).some((p) => p.proposal.target === change.target);
            if (open) outcomes.push({ kind: "skipped", type: "code_change_required", reason: "already_open", summary: "an open code change for the local model is waiting" });
            else await emit(change);
          }
        }
      }

      // 2. Query rewrites: many knowledge gaps while rewriting is on ask for more phrasings.
      if (config.queryRewrite) {
        const gapRate = ratings.interactions > 0 ? ratings.gaps / ratings.interactions : 0;
        const now = routingConfig.current().maxQueryRewrites;
        if (ratings.interactions < config.learningMinRatings) {
          outcomes.push({ kind: "skipped", type: "iteration_limit_increase", reason: "not_enough_interactions", summary: `${ratings.interactions} questions in the window` });
        } else if (gapRate < config.learningGapRateForRewrites || now >= 8) {
          outcomes.push({ kind: "skipped", type: "iteration_limit_increase", reason: now >= 8 ? "at_bound" : "few_gaps", summary: `${ratings.gaps} of ${ratings.interactions} questions were gaps` });
        } else {
          const proposal: IterationLimitIncrease = {
            type: "iteration_limit_increase",
            target: "max_query_rewrites",
            current_value: now,
            proposed_value: now + 1,
            evidence: {
              summary: `${ratings.gaps} of ${ratings.interactions} questions (${Math.round(gapRate * 100)}%) found weak context; more phrasings search more widely`,
              window_start: ratings.window_start,
              window_end: ratings.window_end,
              ratings: ratings.buckets.reduce((n, b) => n + b.local.good + b.local.bad + b.remote.good + b.remote.bad + b.other.good + b.other.bad, 0),
              data: { interactions: ratings.interactions, gaps: ratings.gaps, gap_rate: gapRate, threshold: config.learningGapRateForRewrites },
            },
            confidence: Math.min(1, ratings.interactions / (2 * config.learningMinRatings)),
          };
          await emit(proposal);
        }
      }
      logger.info({ event: "learning_job_ran", ran_at: at.toISOString(), dry_run: Boolean(opts.dryRun), outcomes: outcomes.map((x) => ({ kind: x.kind, type: x.type, ...("reason" in x && { reason: x.reason }) })) }, "learning job ran");
      return report();
    },

    approve: (id, opts) => approveAt(id, clock(), opts.actor, opts.note),

    async reject(id, opts) {
      const stored = await open(id);
      const decided = await aidb.learning.decide(id, { decision: "rejected", actor: opts.actor, note: opts.note, at: clock() });
      logger.info({ event: "proposal_rejected", proposal_id: id, type: stored.proposal.type, actor: opts.actor, note: opts.note }, `proposal ${id} rejected`);
      return decided!;
    },
  };
}
