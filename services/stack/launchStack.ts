import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateApiKey } from "../shared/access/generateApiKey.js";

/** The four services, and the audit writer that starts before them. */
export type StackServiceName = "audit" | "inference" | "embeddings" | "aidb" | "coordinator";

export interface StackOptions {
  /** The aq bundle (dist/aq.js) the services run from. */
  aqBin: string;
  /** State of the whole stack: aidb's PGlite, the coordinator's state, logs. */
  dataDir: string;
  chatModel: string;
  embedModel: string;
  rerankModel?: string;
  remoteUrl?: string;
  remoteKeyFile?: string;
  remoteModel?: string;
  redisUrl?: string;
  /** Where the coordinator listens (default 127.0.0.1); the other services stay on loopback. Beyond loopback needs `apiKeysFile`. */
  host?: string;
  /**
   * The keys file every service enforces. With it, an internal key for the
   * services' own calls is generated for this run (`<dataDir>/secrets/internal-key`, 0600).
   */
  apiKeysFile?: string;
  ports: { inference: number; embeddings: number; aidb: number; coordinator: number };
  /** Extra flags per service (e.g. `--max-tokens 16` for the coordinator). */
  extraArgs?: Partial<Record<StackServiceName, string[]>>;
  env?: NodeJS.ProcessEnv;
  /** Environment of one service on top of `env` (e.g. its NODE_OPTIONS heap size). */
  serviceEnv?: Partial<Record<StackServiceName, NodeJS.ProcessEnv>>;
  /** aidb on this PostgreSQL instead of PGlite in `<dataDir>/aidb`. */
  aidbDatabaseUrl?: string;
  /** How long each service may take to become ready. Default 180 s. */
  readyTimeoutMs?: number;
  /** Aborting stops waiting, stops what was started and rejects with StackAbortedError. */
  signal?: AbortSignal;
}

/** launchStack was aborted through its signal; the services it started are stopped. */
export class StackAbortedError extends Error {
  constructor() {
    super("start-up aborted");
    this.name = "StackAbortedError";
  }
}

export interface StackService {
  name: StackServiceName;
  url: string;
  logFile: string;
  child: ChildProcess;
  /** SIGTERM and wait (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export interface RunningStack {
  services: Record<StackServiceName, StackService>;
  urls: Record<Exclude<StackServiceName, "audit">, string>;
  /** The audit trail this run appends to (`aq audit verify FILE`). */
  auditFile: string;
  /** Stops the services in reverse start order. */
  stop(): Promise<void>;
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once("exit", () => resolve()));

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/** Polls `ready` until it holds, the child dies, the time is up or the signal aborts. */
async function waitFor(svc: StackService, ready: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (signal?.aborted) throw new StackAbortedError();
    if (svc.child.exitCode !== null) throw new Error(`${svc.name} exited with code ${svc.child.exitCode} before it was ready; its log (${svc.logFile}) ends with:\n${tail(svc.logFile)}`);
    if (Date.now() > deadline) throw new Error(`${svc.name} was not ready within ${timeoutMs} ms; its log (${svc.logFile}) ends with:\n${tail(svc.logFile)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitReady(svc: StackService, path: string, timeoutMs: number, signal?: AbortSignal, key?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let died = false;
  svc.child.once("exit", () => (died = true));
  for (;;) {
    if (signal?.aborted) throw new StackAbortedError();
    if (died || svc.child.exitCode !== null) {
      throw new Error(`${svc.name} exited with code ${svc.child.exitCode} before it was ready; its log (${svc.logFile}) ends with:\n${tail(svc.logFile)}`);
    }
    try {
      // The internal key: a coordinator on a LAN address sees this probe come from that address, not loopback.
      const r = await fetch(`${svc.url}${path}`, { signal: AbortSignal.timeout(2000), headers: key ? { authorization: `Bearer ${key}` } : {} });
      await r.body?.cancel();
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (signal?.aborted) throw new StackAbortedError();
    if (Date.now() > deadline) throw new Error(`${svc.name} was not ready at ${svc.url}${path} within ${timeoutMs} ms; its log (${svc.logFile}) ends with:\n${tail(svc.logFile)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/**
 * Starts the whole stack as child processes of this one (`aq serve ...`):
 * chat inference, the embeddings/rerank instance, aidb (PGlite in the data
 * directory) and the coordinator, each on its port, each waited on until
 * ready, in dependency order. Logs go to `<dataDir>/logs/<service>.log`. A
 * failure stops what was started and throws with the failing service's log.
 */
export async function launchStack(opts: StackOptions): Promise<RunningStack> {
  const loopback = "127.0.0.1";
  const host = opts.host ?? loopback;
  const logDir = join(opts.dataDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const started: StackService[] = [];
  const timeoutMs = opts.readyTimeoutMs ?? 180_000;
  const url = (port: number, on = loopback) => `http://${on.includes(":") ? `[${on}]` : on}:${port}`;

  // Keys: the user's file, and an internal key for this run (never logged; each run makes a new one).
  let internalKey: string | undefined;
  const accessArgs: string[] = [];
  if (opts.apiKeysFile) {
    const secrets = join(opts.dataDir, "secrets");
    mkdirSync(secrets, { recursive: true, mode: 0o700 });
    chmodSync(secrets, 0o700);
    const internalKeyFile = join(secrets, "internal-key");
    internalKey = generateApiKey();
    writeFileSync(internalKeyFile, internalKey + "\n", { mode: 0o600 });
    chmodSync(internalKeyFile, 0o600);
    accessArgs.push("--api-keys-file", opts.apiKeysFile, "--internal-key-file", internalKeyFile);
  }
  // The audit writer: one process owns the audit file; the services append through its socket.
  const auditDir = join(opts.dataDir, "audit");
  mkdirSync(auditDir, { recursive: true, mode: 0o700 });
  const auditFile = join(auditDir, "audit.jsonl");
  let auditSocket = join(auditDir, "audit.sock");
  // A Unix socket path has at most 107 bytes; a deep data directory gets one in the temp directory.
  if (Buffer.byteLength(auditSocket) > 100) auditSocket = join(tmpdir(), `aq-audit-${createHash("sha256").update(auditDir).digest("hex").slice(0, 16)}.sock`);
  accessArgs.push("--audit-socket", auditSocket);

  const start = (name: StackServiceName, port: number, args: string[]): StackService => {
    if (opts.signal?.aborted) throw new StackAbortedError();
    const logFile = join(logDir, `${name}.log`);
    const log = createWriteStream(logFile, { flags: "a" });
    const bindHost = name === "coordinator" ? host : loopback;
    const command =
      name === "audit"
        ? ["audit", "serve", ...args]
        : ["serve", name === "embeddings" ? "inference" : name, "--host", bindHost, "--port", String(port), ...args, ...accessArgs, ...(opts.extraArgs?.[name] ?? [])];
    const child = spawn(process.execPath, [opts.aqBin, ...command], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...opts.env, ...opts.serviceEnv?.[name] },
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.once("exit", () => log.end());
    const svc: StackService = {
      name,
      url: name === "audit" ? auditSocket : url(port, bindHost === "0.0.0.0" || bindHost === "::" ? loopback : bindHost),
      logFile,
      child,
      async stop(graceMs = 30_000) {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited(child);
        clearTimeout(timer);
      },
    };
    started.push(svc);
    return svc;
  };
  const stopAll = async () => {
    for (const svc of [...started].reverse()) await svc.stop();
  };

  try {
    const audit = start("audit", 0, ["--socket", auditSocket, "--file", auditFile]);
    await waitFor(audit, () => existsSync(auditSocket), timeoutMs, opts.signal);
    const inference = start("inference", opts.ports.inference, ["--chat-model", opts.chatModel]);
    const embeddings = start("embeddings", opts.ports.embeddings, ["--embed-model", opts.embedModel, ...(opts.rerankModel ? ["--rerank-model", opts.rerankModel] : [])]);
    await Promise.all([waitReady(inference, "/ready", timeoutMs, opts.signal, internalKey), waitReady(embeddings, "/ready", timeoutMs, opts.signal, internalKey)]);
    const aidb = start("aidb", opts.ports.aidb, [
      ...(opts.aidbDatabaseUrl ? ["--database-url", opts.aidbDatabaseUrl] : ["--data-dir", join(opts.dataDir, "aidb")]),
      "--embed-url",
      embeddings.url,
      ...(opts.redisUrl ? ["--redis-url", opts.redisUrl] : []),
    ]);
    await waitReady(aidb, "/ready", timeoutMs, opts.signal, internalKey);
    const coordinator = start("coordinator", opts.ports.coordinator, [
      "--state-dir",
      join(opts.dataDir, "coordinator"),
      "--inference-url",
      inference.url,
      "--embed-url",
      embeddings.url,
      "--aidb-url",
      aidb.url,
      ...(opts.rerankModel ? ["--rerank-url", embeddings.url] : []),
      ...(opts.redisUrl ? ["--redis-url", opts.redisUrl] : []),
      ...(opts.remoteUrl ? ["--remote-url", opts.remoteUrl] : []),
      ...(opts.remoteKeyFile ? ["--remote-key-file", opts.remoteKeyFile] : []),
      ...(opts.remoteModel ? ["--remote-model", opts.remoteModel] : []),
    ]);
    await waitReady(coordinator, "/ready", timeoutMs, opts.signal, internalKey);
    const services = { audit, inference, embeddings, aidb, coordinator };
    return {
      services,
      urls: { inference: inference.url, embeddings: embeddings.url, aidb: aidb.url, coordinator: coordinator.url },
      auditFile,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
