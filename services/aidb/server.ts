// Entry point of the aidb bundle (dist/aidb-server.js), as run by the NixOS
// unit. Settings come from AI_STACK_CONFIG and AI_AIDB_*.
import { UsageError } from "../shared/UsageError.js";
import { startAidb } from "./startAidb.js";

try {
  await startAidb();
} catch (err) {
  process.stderr.write(`aidb: ${(err as Error).message}\n`);
  process.exit(err instanceof UsageError ? err.exitCode : 1);
}
