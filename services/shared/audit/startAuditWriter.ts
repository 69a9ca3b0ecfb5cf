import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import { auditEventSchema } from "./auditRecordSchema.js";
import { openAuditFile } from "./openAuditFile.js";

export interface AuditWriterOptions {
  /** The Unix socket services send their events to. */
  socket: string;
  /** The audit file this writer alone owns and appends to. */
  file: string;
  /** Mode of the socket (who may send events): 0660 lets the writer's group in. Default 0660. */
  socketMode?: number;
  /** Mode of a new audit file. Default 0600. */
  fileMode?: number;
  logger: Logger;
}

export interface AuditWriter {
  server: Server;
  close(): Promise<void>;
}

/** Longest event line accepted; a longer one closes the connection. */
const maxLineBytes = 64 * 1024;

/**
 * The audit trail's one writer: it owns the audit file, listens on a Unix
 * socket for events (one JSON object per line), checks each against the
 * event schema, chains it after the last record (seq, prev, hash), appends
 * and syncs it, then answers `{"ok":true,"seq":N}` (or `{"ok":false,
 * "error":...}`) on the same connection, in order. Services never touch the
 * file: they can add records through the socket, never edit, remove or
 * reorder one. Each record's seq and hash also go to the writer's own log
 * (`audit_appended`), so a cut at the end of the file shows too.
 */
export async function startAuditWriter(opts: AuditWriterOptions): Promise<AuditWriter> {
  const { logger } = opts;
  const file = openAuditFile(opts.file, opts.fileMode);
  try {
    if (lstatSync(opts.socket).isSocket()) unlinkSync(opts.socket);
  } catch {
    // no stale socket
  }
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    let buffered = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      if (buffered.length > maxLineBytes && !buffered.includes("\n")) {
        logger.warn({ event: "audit_event_refused", reason: "line too long" }, "an audit event line was too long; connection closed");
        socket.destroy();
        return;
      }
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        socket.write(JSON.stringify(handle(line)) + "\n");
      }
    });
    socket.on("error", () => socket.destroy());
  });

  const handle = (line: string): { ok: true; seq: number } | { ok: false; error: string } => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { ok: false, error: "not JSON" };
    }
    const parsed = auditEventSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      logger.warn({ event: "audit_event_refused", reason: `${issue?.path.join(".")}: ${issue?.message}` }, "an audit event was refused");
      return { ok: false, error: `${issue?.path.join(".") || "event"}: ${issue?.message}` };
    }
    try {
      const record = file.append(parsed.data);
      logger.info({ event: "audit_appended", seq: record.seq, hash: record.hash, service: record.service, route: record.route, outcome: record.outcome }, "audit record appended");
      return { ok: true, seq: record.seq };
    } catch (err) {
      logger.error({ event: "audit_append_failed", err: (err as Error).message }, "cannot append to the audit file");
      return { ok: false, error: "append failed" };
    }
  };

  const socketMode = opts.socketMode ?? 0o660;
  // The socket is born with its mode (no moment when it is more open), then chmod makes sure.
  const umask = process.umask(0o777 & ~socketMode);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.socket, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(opts.socket, socketMode);
  logger.info({ event: "audit_writer_listening", socket: opts.socket, file: opts.file, head: file.head() }, "audit writer listening");
  return {
    server,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.end();
      });
      file.close();
    },
  };
}
