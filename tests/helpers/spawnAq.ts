import { spawn, type ChildProcess } from "node:child_process";
import { inject } from "vitest";

export interface AqProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Runs the built `aq` bundle as a real process. */
export function spawnAq(args: string[], env: NodeJS.ProcessEnv = {}): AqProcess {
  const child = spawn(process.execPath, [inject("aqBin"), ...args], {
    env: { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs `aq` to completion. */
export async function runAq(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnAq(args, env);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Waits for the service's `listening` log line and returns its port. */
export async function listeningPort(p: AqProcess, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const line of p.stdout().split("\n")) {
      if (!line.includes('"listening"')) continue;
      const parsed = JSON.parse(line) as { port?: number };
      if (parsed.port) return parsed.port;
    }
    if (p.child.exitCode !== null) throw new Error(`aq exited with ${p.child.exitCode}: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no listening line within ${timeoutMs} ms; stderr: ${p.stderr()}`);
}
