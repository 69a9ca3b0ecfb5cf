import { z } from "zod";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { coordinatorBaseUrl, coordinatorRequest } from "../coordinatorClient.js";
import { parseFlags } from "../parseFlags.js";

const flagsSchema = z.object({
  url: z.string().optional(),
  json: z.boolean().default(false),
});

export const statusUsage = "usage: aq status [--url URL] [--json]   (exit 0: healthy, 1: unhealthy or unreachable, 2: bad arguments)";

interface StatusBody {
  healthy?: boolean;
  loading?: boolean;
  threshold?: number;
  backends?: {
    local?: { url?: string; healthy?: boolean; loading?: boolean; p95_ms?: number | null; queue_depth?: number; queue_limit?: number; error?: string };
    remote?: { configured?: boolean; url?: string; healthy?: boolean; circuit?: string; failures_to_open?: number; cooldown_ms?: number; p95_ms?: number | null };
  };
  dependencies?: Record<string, Record<string, unknown>>;
  degraded?: { dependency: string; reason: string }[];
}

/**
 * `aq status [--url URL] [--json]`: GET /status of a running coordinator,
 * printed as a short summary (or raw with `--json`). Exit 0 when the
 * coordinator reports itself healthy (a local or remote backend can answer),
 * 1 when it does not or cannot be reached, 2 for bad arguments.
 */
export const statusCommand: Command = async (argv, io) => {
  try {
    return await status(argv, io);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    io.err(`aq status: ${(err as Error).message}`);
    return 1;
  }
};

const p95 = (ms: number | null | undefined) => (typeof ms === "number" ? `p95 ${Math.round(ms)} ms` : "p95 -");

const status: Command = async (argv, io) => {
  const { flags, positionals } = parseFlags(argv, flagsSchema, { booleans: ["json"], allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'; ${statusUsage}`);
  const base = coordinatorBaseUrl(flags.url);
  const s = await coordinatorRequest<StatusBody>(base, "/status");
  const healthy = s.healthy === true;
  if (flags.json) {
    io.out(JSON.stringify(s));
    return healthy ? 0 : 1;
  }
  const lines: string[] = [`coordinator  ${base}: ${healthy ? "healthy" : "UNHEALTHY"}${s.loading ? " (local model loading)" : ""}`];

  const local = s.backends?.local ?? {};
  const localState = local.loading ? "loading" : local.healthy ? "healthy" : "unhealthy";
  const queue = `queue ${local.queue_depth ?? 0}${local.queue_limit !== undefined ? `/${local.queue_limit}` : ""}`;
  lines.push(`local backend   ${local.url ?? "?"}: ${localState}, ${queue}, ${p95(local.p95_ms)}${local.error ? ` (${local.error})` : ""}`);

  const remote = s.backends?.remote ?? {};
  if (remote.configured) {
    lines.push(`remote backend  ${remote.url ?? "?"}: ${remote.healthy ? "healthy" : "unhealthy"}, circuit ${remote.circuit ?? "?"}, ${p95(remote.p95_ms)}`);
  } else {
    lines.push("remote backend  not configured");
  }
  if (typeof s.threshold === "number") lines.push(`routing threshold ${s.threshold}`);

  lines.push("dependencies:");
  for (const [name, dep] of Object.entries(s.dependencies ?? {})) lines.push(`  ${name.padEnd(15)} ${describeDependency(dep)}`);

  const degraded = s.degraded ?? [];
  lines.push(degraded.length === 0 ? "degraded: none" : `degraded:\n${degraded.map((d) => `  ${d.dependency}: ${d.reason}`).join("\n")}`);
  io.out(lines.join("\n"));
  return healthy ? 0 : 1;
};

function describeDependency(dep: Record<string, unknown>): string {
  const parts: string[] = [];
  if (dep.configured === false || dep.enabled === false) parts.push("not configured");
  else if (dep.ok === true || dep.healthy === true) parts.push("ok");
  else if (dep.ok === false || dep.healthy === false) parts.push("DOWN");
  for (const key of ["driver", "url"]) if (typeof dep[key] === "string") parts.push(`${key} ${String(dep[key])}`);
  for (const key of ["error", "reason"]) if (typeof dep[key] === "string") parts.push(`(${String(dep[key])})`);
  return parts.join(", ").replace(/, \(/g, " (") || JSON.stringify(dep);
}
