import { z } from "zod";
import { UsageError } from "../../shared/UsageError.js";
import type { Command, CommandIo } from "../CommandIo.js";
import { coordinatorBaseUrl, coordinatorFetch, coordinatorRequest, dim } from "../coordinatorClient.js";
import { parseFlags } from "../parseFlags.js";

const flagsSchema = z.object({
  url: z.string().optional(),
  project: z.string().trim().min(1, "must not be empty").max(200).optional(),
  stream: z.boolean().default(false),
  forceLocal: z.boolean().default(false),
  forceRemote: z.boolean().default(false),
  json: z.boolean().default(false),
});

export const askUsage = "usage: aq ask QUESTION|- [--stream] [--project P] [--force-local|--force-remote] [--json] [--url URL]";

interface Summary {
  interaction_id?: string;
  backend?: string;
  routing?: { reason?: string; local_confidence_score?: number; answered_by?: string };
  context?: { sources?: unknown[] };
  cache?: { hit?: boolean };
  timings?: { total_ms?: number };
}

/**
 * `aq ask QUESTION|- [--stream] [--project P] [--force-local|--force-remote]
 * [--json] [--url URL]`: asks a running coordinator (POST /query) and prints
 * the answer, then one line with the backend, the routing reason, the
 * confidence, the sources, the cache, the time and the interaction id to
 * rate. `-` reads the question from stdin. `--json` prints the raw response
 * (with `--stream`, each event as one JSON line). Exit 0 on an answer, 1 when
 * the coordinator cannot be reached or fails, 2 for bad arguments.
 */
export const askCommand: Command = async (argv, io) => {
  try {
    return await ask(argv, io);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    io.err(`aq ask: ${(err as Error).message}`);
    return 1;
  }
};

const ask: Command = async (argv, io) => {
  const { flags, positionals } = parseFlags(argv, flagsSchema, { booleans: ["stream", "forceLocal", "forceRemote", "json"], allowPositionals: true });
  if (positionals.length === 0) throw new UsageError(`QUESTION: missing; ${askUsage}`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' (quote the question); ${askUsage}`);
  if (flags.forceLocal && flags.forceRemote) throw new UsageError("--force-local and --force-remote cannot be used together");
  const base = coordinatorBaseUrl(flags.url);
  const question = positionals[0] === "-" ? await readStdin() : positionals[0];
  if (question.trim() === "") throw new UsageError(positionals[0] === "-" ? "QUESTION: stdin was empty" : "QUESTION: must not be empty");

  const body = {
    query: question,
    ...(flags.project !== undefined && { project: flags.project }),
    ...(flags.forceLocal && { force_local: true }),
    ...(flags.forceRemote && { force_remote: true }),
    ...(flags.stream && { stream: true }),
  };
  if (!flags.stream) {
    const r = await coordinatorRequest<Summary & { response?: string }>(base, "/query", { method: "POST", body: JSON.stringify(body) });
    if (flags.json) {
      io.out(JSON.stringify(r));
      return 0;
    }
    io.out(r.response ?? "");
    io.out(dim(summaryLine(r)));
    return 0;
  }
  return streamAnswer(base, body, flags.json, io);
};

async function streamAnswer(base: string, body: Record<string, unknown>, json: boolean, io: CommandIo): Promise<number> {
  const response = await coordinatorFetch(base, "/query", { method: "POST", body: JSON.stringify(body), headers: { accept: "text/event-stream" } });
  if (!response.body) throw new Error(`the coordinator at ${base} sent an empty stream`);
  const write = (text: string) => process.stdout.write(text);
  const summary: Summary = {};
  let printed = "";
  let finished = false;
  const handle = (data: string): number | undefined => {
    if (data === "[DONE]") {
      finished = true;
      return undefined;
    }
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(data) as Record<string, unknown>;
    } catch {
      throw new Error(`the coordinator at ${base} sent an event that is not JSON: ${data.slice(0, 200)}`);
    }
    if (json) io.out(JSON.stringify(event));
    switch (event.type) {
      case "meta":
        Object.assign(summary, event);
        break;
      case "token":
        if (!json && typeof event.text === "string") {
          write(event.text);
          printed += event.text;
        }
        break;
      case "done":
        summary.timings = event.timings as Summary["timings"];
        summary.interaction_id ??= event.interaction_id as string | undefined;
        break;
      case "error":
        if (!json && printed && !printed.endsWith("\n")) write("\n");
        io.err(`aq ask: the answer failed mid-stream (${String(event.error)}): ${String(event.message)}`);
        return 1;
    }
    return undefined;
  };

  const decoder = new TextDecoder();
  let buffer = "";
  const reader = response.body.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw new Error(`the stream from the coordinator at ${base} broke: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
      }
      buffer += decoder.decode(chunk.value ?? new Uint8Array(), { stream: !chunk.done });
      buffer = buffer.replace(/\r\n/g, "\n");
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (data === "") continue;
        const code = handle(data);
        if (code !== undefined) return code;
      }
      if (chunk.done) break;
    }
  } finally {
    reader.releaseLock();
    void response.body.cancel().catch(() => undefined);
  }
  if (!finished && summary.timings === undefined) {
    if (!json && printed && !printed.endsWith("\n")) write("\n");
    io.err(`aq ask: the stream from the coordinator at ${base} ended before the answer was complete`);
    return 1;
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
