import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer, connect } from "node:net";

export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  /** SIGTERM, wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL, wait for exit: Redis dies without closing anything cleanly. */
  kill(): Promise<void>;
}

/** Whether `redis-server` is on PATH; tests skip with a printed reason if not. */
export function hasRedisServer(): boolean {
  const r = spawnSync("redis-server", ["--version"], { stdio: "ignore" });
  return r.status === 0;
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: "127.0.0.1", port });
    let data = "";
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once("error", () => done(false));
    sock.on("data", (d) => {
      data += String(d);
      if (data.includes("\r\n")) done(data.startsWith("+PONG"));
    });
    sock.once("connect", () => sock.write("PING\r\n"));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
  });

/**
 * Starts a throwaway redis-server on 127.0.0.1 without persistence. Pass a
 * port to start one where an earlier one ran (recovery tests).
 */
export async function startRedis(opts: { port?: number } = {}): Promise<RedisServer> {
  const port = opts.port ?? (await freePort());
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += String(d)));
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const pid = child.pid;
  if (pid === undefined) throw new Error("redis-server did not start");

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr}`);
    if (await pingOnce(port)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server on port ${port} did not answer PING within 10 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const end = async (signal: NodeJS.Signals) => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, signal);
    await exited(child);
  };
  return { url: `redis://127.0.0.1:${port}`, port, pid, stop: () => end("SIGTERM"), kill: () => end("SIGKILL") };
}
