import type { AidbClient } from "../../aidb/api/createAidbClient.js";
import type { EvalCaseResult, EvalRunInput } from "../../aidb/api/evalContract.js";
import type { CoordinatorClient } from "../../coordinator/api/createCoordinatorClient.js";
import { describeError } from "./describeError.js";
import type { EvalCase, EvalSuite } from "./evalSuiteSchema.js";

export interface EvalOptions {
  coordinator: CoordinatorClient;
  aidb: AidbClient;
  /**
   * Answer checks: run them, or skip them by design (synthetic models answer
   * random words, so they could only fail). `aq eval --answers auto` decides
   * from the local model's name.
   */
  answers: "run" | "skip_synthetic";
  /** Said in each skipped case's detail. */
  modelName?: string | null;
  now?: () => Date;
}

const cut = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

async function runCase(c: EvalCase, suite: EvalSuite, o: EvalOptions): Promise<Omit<EvalCaseResult, "ms">> {
  const base = { id: c.id, kind: c.kind };
  switch (c.kind) {
    case "retrieval": {
      const ingested = await o.aidb.ingest([{ project: suite.project, title: c.document.title, text: c.document.text, source: `eval:${suite.name}`, source_trust: "trusted" }]);
      const docId = ingested.results[0]?.id;
      if (!docId) return { ...base, outcome: "error", detail: `ingesting "${c.document.title}" failed: ${ingested.results[0]?.error ?? "no id"}` };
      const answer = await o.coordinator.query({ query: c.query, project: suite.project });
      const titles = answer.context.sources.map((s) => s.title ?? s.document_id);
      const found = answer.context.sources.some((s) => s.document_id === docId);
      return {
        ...base,
        outcome: found ? "passed" : "failed",
        detail: found ? `"${c.document.title}" was in the context` : `"${c.document.title}" was not in the context (sources: ${titles.join(", ") || "none"})`,
      };
    }
    case "routing": {
      const answer = await o.coordinator.query({ query: c.query, ...c.request });
      const { backend } = answer;
      const reason = answer.routing.reason;
      const problems: string[] = [];
      if (c.expect.backend && backend !== c.expect.backend) problems.push(`backend ${backend}, expected ${c.expect.backend}`);
      if (c.expect.reason && reason !== c.expect.reason) problems.push(`reason ${reason}, expected ${c.expect.reason}`);
      if (c.expect.reason_matches && !new RegExp(c.expect.reason_matches).test(reason)) problems.push(`reason ${reason} does not match /${c.expect.reason_matches}/`);
      return { ...base, outcome: problems.length ? "failed" : "passed", detail: problems.length ? problems.join("; ") : `${backend} (${reason})` };
    }
    case "answer": {
      if (o.answers === "skip_synthetic") {
        return { ...base, outcome: "skipped_by_design", detail: `the local model (${o.modelName ?? "synthetic"}) is synthetic: its answers are random words, so answer checks need a real model` };
      }
      const answer = await o.coordinator.query({ query: c.query, ...(c.project && { project: c.project }) });
      const text = answer.response;
      const ok = "substring" in c.expect ? text.toLowerCase().includes(c.expect.substring.toLowerCase()) : new RegExp(c.expect.regex, "i").test(text);
      const wanted = "substring" in c.expect ? `"${c.expect.substring}"` : `/${c.expect.regex}/`;
      return { ...base, outcome: ok ? "passed" : "failed", detail: ok ? `the answer has ${wanted}` : `the answer lacks ${wanted}: ${cut(text)}` };
    }
  }
}

/**
 * Runs a suite against the running stack: retrieval round-trips (ingest a
 * known text through aidb, ask the coordinator, expect the document in the
 * context), routing expectations, and answers with an expected substring or
 * regex (skipped by design on synthetic models, never counted as failed).
 * The score is passed / (passed + failed + error); skipped cases do not count.
 */
export async function runEvalSuite(suite: EvalSuite, o: EvalOptions): Promise<EvalRunInput> {
  const now = o.now ?? (() => new Date());
  const started = now();
  const cases: EvalCaseResult[] = [];
  for (const c of suite.cases) {
    const t0 = performance.now();
    let result: Omit<EvalCaseResult, "ms">;
    try {
      result = await runCase(c, suite, o);
    } catch (err) {
      result = { id: c.id, kind: c.kind, outcome: "error", detail: cut(describeError(err), 2000) };
    }
    cases.push({ ...result, ms: Math.round(performance.now() - t0) });
  }
  const n = (outcome: string) => cases.filter((c) => c.outcome === outcome).length;
  const passed = n("passed");
  const counted = passed + n("failed") + n("error");
  const notes = o.answers === "skip_synthetic" ? [`answer checks skipped by design: the local model (${o.modelName ?? "synthetic"}) is synthetic`] : [];
  return {
    suite: suite.name,
    started_at: started.toISOString(),
    score: counted === 0 ? null : Math.round((passed / counted) * 10_000) / 10_000,
    passed,
    failed: n("failed") + n("error"),
    skipped: n("skipped_by_design"),
    floor: suite.floor,
    details: { cases, notes },
  };
}
