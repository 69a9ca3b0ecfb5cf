import { z } from "zod";
import { createCoordinatorClient, defaultCoordinatorUrl, type CoordinatorClient, type QueryInput } from "../../coordinator/api/createCoordinatorClient.js";
import { maxProjectChars, type QueryResponse } from "../../coordinator/api/queryContract.js";
import { serviceBaseUrl } from "../../shared/http/serviceBaseUrl.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command, CommandIo } from "../CommandIo.js";
import { reportFailures } from "../reportFailures.js";
import { describeServiceError } from "../describeServiceError.js";
import { dim } from "../dim.js";
import { parseFlags } from "../parseFlags.js";
import { readCliApiKey } from "../readCliApiKey.js";

const flagsSchema = z.object({
  apiKeyFile: z.string().min(1).optional(),
  url: z.string().optional(),
  project: z.string().trim().min(1, "must not be empty").max(maxProjectChars).optional(),
  stream: z.boolean().default(false),
  forceLocal: z.boolean().default(false),
  forceRemote: z.boolean().default(false),
  json: z.boolean().default(false),
});

export const askUsage = "usage: aq ask QUESTION|- [--stream] [--project P] [--force-local|--force-remote] [--json] [--url URL]";

/** What the summary line shows: a JSON answer, or a stream's meta and done events together. */
type Summary = Partial<Pick<QueryResponse, "interaction_id" | "backend" | "routing" | "context" | "cache" | "timings">>;

/**
 * `aq ask QUESTION|- [--stream] [--project P] [--force-local|--force-remote]
 * [--json] [--url URL]`: asks a running coordinator (POST /query) and prints
 * the answer, then one line with the backend, the routing reason, the
 * confidence, the sources, the cache, the time and the interaction id to
 * rate. `-` reads the question from stdin. `--json` prints the raw response
 * (with `--stream`, each event as one JSON line). Exit 0 on an answer, 1 when
 * the coordinator cannot be reached or fails, 2 for bad arguments.
 */
export const askCommand: Command = reportFailures("ask", (argv, io) => ask(argv, io));

const ask: Command = async (argv, io) => {
  const { flags, positionals } = parseFlags(argv, flagsSchema, { booleans: ["stream", "forceLocal", "forceRemote", "json"], allowPositionals: true });
  if (positionals.length === 0) throw new UsageError(`QUESTION: missing; ${askUsage}`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' (quote the question); ${askUsage}`);
  if (flags.forceLocal && flags.forceRemote) throw new UsageError("--force-local and --force-remote cannot be used together");
  const client = createCoordinatorClient({ baseUrl: serviceBaseUrl(flags.url, defaultCoordinatorUrl), apiKey: readCliApiKey(flags.apiKeyFile) });
  const question = positionals[0] === "-" ? await readStdin() : positionals[0];
  if (question.trim() === "") throw new UsageError(positionals[0] === "-" ? "QUESTION: stdin was empty" : "QUESTION: must not be empty");

  const body: QueryInput = {
    query: question,
    ...(flags.project !== undefined && { project: flags.project }),
    ...(flags.forceLocal && { force_local: true }),
    ...(flags.forceRemote && { force_remote: true }),
  };
  if (flags.stream) return streamAnswer(client, body, flags.json, io);
  const r = await client.query(body);
  if (flags.json) {
    io.out(JSON.stringify(r));
    return 0;
  }
  io.out(r.response);
  io.out(dim(summaryLine(r)));
  return 0;
};

async function streamAnswer(client: CoordinatorClient, body: QueryInput, json: boolean, io: CommandIo): Promise<number> {
  const write = (text: string) => process.stdout.write(text);
  const summary: Summary = {};
  let printed = "";
  for await (const event of client.queryStream(body)) {
    if (json) io.out(JSON.stringify(event));
    switch (event.type) {
      case "meta": {
        const { type: _type, ...meta } = event;
        Object.assign(summary, meta);
        break;
      }
      case "token":
        if (!json) {
          write(event.text);
          printed += event.text;
        }
        break;
      case "done":
        summary.timings = event.timings;
        summary.interaction_id ??= event.interaction_id;
        break;
      case "error":
        if (!json && printed && !printed.endsWith("\n")) write("\n");
        io.err(`aq ask: the answer failed mid-stream (${event.error}): ${event.message}`);
        return 1;
    }
  }
  if (json) return 0;
  if (!printed.endsWith("\n")) write("\n");
  io.out(dim(summaryLine(summary)));
  return 0;
}

/** `local (local_healthy), confidence 0.812, 2 sources, cache miss, 845 ms, id ...; rate it: aq rate ID good|bad` */
export function summaryLine(s: Summary): string {
  const parts: string[] = [];
  const backend = s.backend ?? "unknown backend";
  parts.push(s.routing?.reason ? `${backend} (${s.routing.reason})` : backend);
  if (typeof s.routing?.local_confidence_score === "number") parts.push(`confidence ${s.routing.local_confidence_score.toFixed(3)}`);
  const sources = s.context?.sources?.length ?? 0;
  parts.push(`${sources} ${sources === 1 ? "source" : "sources"}`);
  parts.push(`cache ${s.cache?.hit ? "hit" : "miss"}`);
  if (typeof s.timings?.total_ms === "number") parts.push(`${Math.round(s.timings.total_ms)} ms`);
  const id = s.interaction_id;
  return id ? `${parts.join(", ")}, id ${id}; rate it: aq rate ${id} good|bad` : parts.join(", ");
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
