import { userInfo } from "node:os";
import { z } from "zod";
import type { StoredProposal } from "../../aidb/api/learningContract.js";
import { proposalStatuses } from "../../aidb/api/learningContract.js";
import { createCoordinatorClient, defaultCoordinatorUrl } from "../../coordinator/api/createCoordinatorClient.js";
import type { LearningRunResponse } from "../../coordinator/api/proposalsContract.js";
import { serviceBaseUrl } from "../../shared/http/serviceBaseUrl.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { reportFailures } from "../reportFailures.js";
import { describeServiceError } from "../describeServiceError.js";
import { parseFlags } from "../parseFlags.js";
import { readCliApiKey } from "../readCliApiKey.js";

export const proposalsUsage =
  "usage: aq proposals list [--status open|applied|rejected|superseded|all] [--json] | show ID [--json] | approve ID [--note TEXT] | reject ID [--note TEXT] | generate [--dry-run] [--json]   [--url COORDINATOR_URL] [--api-key-file FILE]";

const flagsSchema = z.object({
  url: z.string().optional(),
  status: z.enum([...proposalStatuses, "all"]).default("open"),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  note: z.string().max(2000).optional(),
  dryRun: z.boolean().default(false),
  json: z.boolean().default(false),
  apiKeyFile: z.string().min(1).optional(),
});

const value = (v: unknown) => (typeof v === "string" ? JSON.stringify(v.length > 60 ? `${v.slice(0, 59)}…` : v) : String(v));

function line(p: StoredProposal): string {
  const q = p.proposal;
  return `${p.id}  ${p.status.padEnd(10)} ${p.created_at.slice(0, 10)}  ${q.type}  ${q.target}: ${value(q.current_value)} -> ${value(q.proposed_value)}  (confidence ${q.confidence})`;
}

function details(p: StoredProposal): string {
  const q = p.proposal;
  const out = [
    line(p),
    ...("title" in q ? [`title: ${q.title}`] : []),
    `evidence: ${q.evidence.summary}`,
    `window: ${q.evidence.window_start} to ${q.evidence.window_end}, ${q.evidence.ratings} ratings`,
  ];
  const buckets = (q.evidence.data as { buckets?: { bucket: string; local: { good: number; bad: number }; local_success_rate: number | null; counted: boolean }[] }).buckets;
  for (const b of buckets ?? []) {
    out.push(`  ${b.bucket.padEnd(20)} local ${b.local.good} good / ${b.local.bad} bad${b.local_success_rate === null ? "" : ` (${Math.round(b.local_success_rate * 100)}%)`}${b.counted ? "" : " (too few to count alone)"}`);
  }
  out.push("history:");
  for (const e of p.events) out.push(`  ${e.at}  ${e.event.padEnd(12)} by ${e.actor}${e.note ? `: ${e.note}` : ""}`);
  return out.join("\n");
}

function report(r: LearningRunResponse): string {
  const out = [`${r.dry_run ? "dry run" : "ran"} at ${r.ran_at} over ${r.window_start} to ${r.window_end}`];
  for (const o of r.outcomes) {
    if (o.kind === "skipped") out.push(`skipped    ${o.type}: ${o.reason} (${o.summary})`);
    else if (o.kind === "would_propose") out.push(`would propose ${o.type}: ${o.proposal.target} ${value(o.proposal.current_value)} -> ${value(o.proposal.proposed_value)}: ${o.proposal.evidence.summary}`);
    else out.push(`${o.kind.padEnd(10)} ${line(o.proposal)}`);
  }
  return out.join("\n");
}

/**
 * `aq proposals list|show|approve|reject|generate`: the learning loop's
 * proposals on the running coordinator. approve applies one (the threshold
 * or rewrite limit into routing-config.json, a code change into the changes
 * file) and exits 1 when the coordinator refuses (stale, weekly bound,
 * already decided); generate runs the weekly job now.
 */
export const proposalsCommand: Command = reportFailures("proposals", (argv, io) => proposals(argv, io));

const proposals: Command = async (argv, io) => {
  const { flags, positionals } = parseFlags(argv, flagsSchema, { booleans: ["dryRun", "json"], allowPositionals: true });
  const [action, id, ...rest] = positionals;
  const needsId = action === "show" || action === "approve" || action === "reject";
  if (!action || rest.length > 0 || !["list", "show", "approve", "reject", "generate"].includes(action) || needsId !== (id !== undefined)) {
    throw new UsageError(proposalsUsage);
  }
  const client = createCoordinatorClient({ baseUrl: serviceBaseUrl(flags.url, defaultCoordinatorUrl), apiKey: readCliApiKey(flags.apiKeyFile) });
  const print = (text: string, json: unknown) => io.out(flags.json ? JSON.stringify(json) : text);
  const actor = `aq proposals ${action} (${userInfo().username})`;

  switch (action) {
    case "list": {
      const list = await client.proposals.list({ status: flags.status === "all" ? undefined : flags.status, limit: flags.limit });
      if (flags.json) io.out(JSON.stringify(list));
      else if (list.length === 0) io.out(`no ${flags.status === "all" ? "" : `${flags.status} `}proposals`);
      else io.out(list.map(line).join("\n"));
      return 0;
    }
    case "show": {
      const p = await client.proposals.get(id!);
      if (!p) {
        io.err(`aq proposals: no proposal ${id}`);
        return 1;
      }
      print(details(p), p);
      return 0;
    }
    case "approve": {
      const p = await client.proposals.approve(id!, { actor, ...(flags.note && { note: flags.note }) });
      print(`applied ${line(p)}`, p);
      return 0;
    }
    case "reject": {
      const p = await client.proposals.reject(id!, { actor, ...(flags.note && { note: flags.note }) });
      print(`rejected ${line(p)}`, p);
      return 0;
    }
    default: {
      const r = await client.proposals.run({ dryRun: flags.dryRun });
      print(report(r), r);
      return 0;
    }
  }
};
