import { connect, type Socket } from "node:net";
import type { AuditEvent } from "./auditRecordSchema.js";

export interface AuditClient {
  /** Sends one event; resolves with its seq once the writer has appended and synced it. Rejects when the writer cannot be reached or refuses it. */
  append(event: AuditEvent): Promise<number>;
  close(): Promise<void>;
}

interface Pending {
  resolve(seq: number): void;
  reject(err: Error): void;
}

/**
 * A connection to the audit writer's Unix socket (startAuditWriter): one
 * JSON event per line, answered in order. Connects on first use and again
 * after a failure; an answer that does not come within `timeoutMs` fails the
 * events waiting for one.
 */
export function createAuditClient(opts: { socket: string; timeoutMs?: number }): AuditClient {
  const timeoutMs = opts.timeoutMs ?? 5000;
  let socket: Socket | undefined;
  const pending: Pending[] = [];
  let buffered = "";
  let timer: NodeJS.Timeout | undefined;

  const failAll = (err: Error) => {
    clearTimeout(timer);
    timer = undefined;
    socket?.destroy();
    socket = undefined;
    buffered = "";
    for (const p of pending.splice(0)) p.reject(err);
  };
  const arm = () => {
    clearTimeout(timer);
    timer = pending.length ? setTimeout(() => failAll(new Error(`the audit writer did not answer within ${timeoutMs} ms`)), timeoutMs) : undefined;
    timer?.unref();
  };

  const open = (): Socket => {
    if (socket && !socket.destroyed) return socket;
    const s = connect(opts.socket);
    s.setEncoding("utf8");
    s.on("data", (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const p = pending.shift();
        if (!p) continue;
        try {
          const answer = JSON.parse(line) as { ok: boolean; seq?: number; error?: string };
          if (answer.ok && typeof answer.seq === "number") p.resolve(answer.seq);
          else p.reject(new Error(`the audit writer refused the event: ${answer.error ?? "unknown"}`));
        } catch {
          p.reject(new Error("the audit writer answered something that is not JSON"));
        }
      }
      arm();
    });
    s.on("error", (err) => failAll(new Error(`cannot reach the audit writer at ${opts.socket}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    s.on("close", () => {
      if (socket === s) failAll(new Error("the audit writer closed the connection"));
    });
    socket = s;
    return s;
  };

  return {
    append(event) {
      return new Promise<number>((resolve, reject) => {
        const s = open();
        pending.push({ resolve, reject });
        arm();
        s.write(JSON.stringify(event) + "\n");
      });
    },
    async close() {
      const s = socket;
      socket = undefined;
      clearTimeout(timer);
      s?.end();
      s?.destroy();
    },
  };
}
