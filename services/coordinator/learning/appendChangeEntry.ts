import { appendFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { CodeChangeRequired } from "../../aidb/api/learningContract.js";

/**
 * Applies a code_change_required proposal: appends a dated entry to the
 * tracked file (created with a heading when missing). The entry is all a
 * person needs: what, why, the evidence and the proposal's id.
 */
export function appendChangeEntry(file: string, p: CodeChangeRequired, meta: { id: string; at: Date; actor: string; note?: string }): string {
  const day = meta.at.toISOString().slice(0, 10);
  const lines = [
    `## ${day}: ${p.title}`,
    "",
    `- proposal: ${meta.id} (approved by ${meta.actor}${meta.note ? `: ${meta.note}` : ""})`,
    `- target: ${p.target}`,
    ...(p.current_value ? [`- now: ${p.current_value}`] : []),
    `- change: ${p.proposed_value}`,
    `- evidence: ${p.evidence.summary} (${p.evidence.ratings} ratings, ${p.evidence.window_start} to ${p.evidence.window_end}; confidence ${p.confidence})`,
    "",
  ];
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, "# Changes the learning loop asked for\n\nEach entry was proposed by the weekly job and approved (`aq proposals approve`).\n\n");
  }
  const entry = `${lines.join("\n")}\n`;
  appendFileSync(file, entry);
  return entry;
}
