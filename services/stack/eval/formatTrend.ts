import type { EvalRun } from "../../aidb/api/evalContract.js";

const pct = (x: number | null) => (x === null ? "n/a" : `${Math.round(x * 1000) / 10}%`);

/** The scores of a suite's runs, oldest first, with the change since the previous run: `trend: 50% → 67% → 100% (+33.3 points)`. */
export function formatTrend(runsNewestFirst: EvalRun[]): string {
  const runs = [...runsNewestFirst].reverse();
  if (runs.length === 0) return "trend: no runs yet";
  const line = runs.map((r) => pct(r.score)).join(" → ");
  const [prev, last] = [runs.at(-2), runs.at(-1)!];
  if (!prev || prev.score === null || last.score === null) return `trend: ${line}`;
  const delta = Math.round((last.score - prev.score) * 1000) / 10;
  return `trend: ${line} (${delta >= 0 ? "+" : ""}${delta} points since the previous run)`;
}
