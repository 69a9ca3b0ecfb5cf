import { readFileSync } from "node:fs";
import { z } from "zod";
import { startAuditWriter } from "../../shared/audit/startAuditWriter.js";
import { verifyAuditLog } from "../../shared/audit/verifyAuditLog.js";
import { createLogger } from "../../shared/logging/createLogger.js";
import { UsageError } from "../../shared/UsageError.js";
import type { Command } from "../CommandIo.js";
import { parseFlags } from "../parseFlags.js";

export const auditUsage =
  "usage: aq audit verify FILE\n" + "       aq audit serve --socket PATH --file PATH [--socket-mode 0660] [--file-mode 0600]";

const mode = (name: string) =>
  z
    .string()
    .regex(/^0?[0-7]{3}$/, `${name} must be an octal mode such as 0660`)
    .transform((s) => parseInt(s, 8))
    .optional();
const serveFlags = z.object({ socket: z.string().min(1), file: z.string().min(1), socketMode: mode("--socket-mode"), fileMode: mode("--file-mode") });

/**
 * `aq audit verify FILE`: checks the audit file's hash chain; exit 0 when it
 * is intact, 1 naming the first line that was edited, removed, added or
 * moved, 2 for a usage error or an unreadable file.
 * `aq audit serve`: the audit writer (the only process that writes the
 * file), until SIGTERM.
 */
export const auditCommand: Command = async (argv, io) => {
  const [sub, ...rest] = argv;
  if (sub === "verify") {
    const { positionals } = parseFlags(rest, z.object({}), { allowPositionals: true });
    if (positionals.length !== 1) throw new UsageError(auditUsage);
    const file = positionals[0]!;
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const verdict = verifyAuditLog(text);
    if (!verdict.ok) {
      io.err(`aq audit: ${file} line ${verdict.line}: ${verdict.reason}; the ${verdict.records} records before it are intact`);
      return 1;
    }
    io.out(`${file}: ${verdict.records} records, chain intact; last seq ${verdict.head.seq}, hash ${verdict.head.hash} (compare with the writer's last audit_appended line to see that nothing was cut from the end)`);
    return 0;
  }
  if (sub === "serve") {
    const { flags } = parseFlags(rest, serveFlags);
    const logger = createLogger({ name: "audit", level: "info" });
    const writer = await startAuditWriter({ socket: flags.socket, file: flags.file, socketMode: flags.socketMode, fileMode: flags.fileMode, logger });
    return new Promise<number>((resolve) => {
      const stop = () => void writer.close().then(() => resolve(0));
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    });
  }
  throw new UsageError(auditUsage);
};
