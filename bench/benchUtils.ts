import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  pid: number;
  startedAt: number;
  readyMs: number;
  stop: () => Promise<void>;
}

/** Starts `aq serve inference` as its own process and waits for /ready. */
export async function startService(aqBin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [aqBin, "serve", "inference", "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true", ...env },
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = out.match(/"event":"listening"[^\n]*"port":(\d+)/);
      if (m) {
        clearInterval(timer);
        resolve(Number(m[1]));
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`service exited ${child.exitCode}: ${err}`));
      }
    }, 5);
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const r = await fetch(`${url}/ready`).catch(() => undefined);
    if (r?.status === 200) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const readyMs = performance.now() - startedAt;
  return {
    child,
    url,
    pid: child.pid!,
    startedAt,
    readyMs,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1]);
  return kb * 1024;
}

export async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}
