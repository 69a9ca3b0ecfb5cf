import { z } from "zod";
import { createCoordinatorClient, defaultCoordinatorUrl } from "../../coordinator/api/createCoordinatorClient.js";
import { serviceBaseUrl } from "../../shared/http/serviceBaseUrl.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { reportFailures } from "../reportFailures.js";
import { describeServiceError } from "../describeServiceError.js";
import { parseFlags } from "../parseFlags.js";
import { readCliApiKey } from "../readCliApiKey.js";

const flagsSchema = z.object({
  apiKeyFile: z.string().min(1).optional(),
  url: z.string().optional(),
  json: z.boolean().default(false),
});

export const statusUsage = "usage: aq status [--url URL] [--json]   (exit 0: healthy, 1: unhealthy or unreachable, 2: bad arguments)";

/**
 * `aq status [--url URL] [--json]`: GET /status of a running coordinator,
 * printed as a short summary (or raw with `--json`). Exit 0 when the
 * coordinator reports itself healthy (a local or remote backend can answer),
 * 1 when it does not or cannot be reached, 2 for bad arguments.
 */
export const statusCommand: Command = reportFailures("status", (argv, io) => status(argv, io));

const p95 = (ms: number | null | undefined) => (typeof ms === "number" ? `p95 ${Math.round(ms)} ms` : "p95 -");

const status: Command = async (argv, io) => {
  const { flags, positionals } = parseFlags(argv, flagsSchema, { booleans: ["json"], allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'; ${statusUsage}`);
  const client = createCoordinatorClient({ baseUrl: serviceBaseUrl(flags.url, defaultCoordinatorUrl), apiKey: readCliApiKey(flags.apiKeyFile) });
  const s = await client.status();
  const healthy = s.healthy;
  if (flags.json) {
    io.out(JSON.stringify(s));
    return healthy ? 0 : 1;
  }
  const lines: string[] = [`coordinator  ${client.baseUrl}: ${healthy ? "healthy" : "UNHEALTHY"}${s.loading ? " (local model loading)" : ""}`];

  const local = s.backends.local;
  const localState = local.loading ? "loading" : local.healthy ? "healthy" : "unhealthy";
  const queue = `queue ${local.queue_depth}${local.queue_limit !== undefined ? `/${local.queue_limit}` : ""}`;
  lines.push(`local backend   ${local.url}: ${localState}, ${queue}, ${p95(local.p95_ms)}${local.error ? ` (${local.error})` : ""}`);

  const remote = s.backends.remote;
  if (remote.configured) {
    lines.push(`remote backend  ${remote.url ?? "?"}: ${remote.healthy ? "healthy" : "unhealthy"}, circuit ${remote.circuit}, ${p95(remote.p95_ms)}`);
  } else {
    lines.push("remote backend  not configured");
  }
  lines.push(`routing threshold ${s.threshold}`);

  lines.push("dependencies:");
  for (const [name, dep] of Object.entries(s.dependencies)) lines.push(`  ${name.padEnd(15)} ${describeDependency(dep)}`);

  const degraded = s.degraded;
  lines.push(degraded.length === 0 ? "degraded: none" : `degraded:\n${degraded.map((d) => `  ${d.dependency}: ${d.reason}`).join("\n")}`);
  io.out(lines.join("\n"));
  return healthy ? 0 : 1;
};

function describeDependency(value: unknown): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  const dep = value as Record<string, unknown>;
  const parts: string[] = [];
  if (dep.configured === false || dep.enabled === false) parts.push("not configured");
  else if (dep.ok === true || dep.healthy === true) parts.push("ok");
  else if (dep.ok === false || dep.healthy === false) parts.push("DOWN");
  for (const key of ["driver", "url"]) if (typeof dep[key] === "string") parts.push(`${key} ${String(dep[key])}`);
  for (const key of ["error", "reason"]) if (typeof dep[key] === "string") parts.push(`(${String(dep[key])})`);
  return parts.join(", ").replace(/, \(/g, " (") || JSON.stringify(dep);
}
