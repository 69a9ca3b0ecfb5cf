// Entry point of the coordinator bundle (dist/coordinator-server.js), as run
// by the NixOS unit. Settings come from AI_STACK_CONFIG and AI_COORDINATOR_*.
import { UsageError } from "../shared/UsageError.js";
import { startCoordinator } from "./startCoordinator.js";

try {
  await startCoordinator();
} catch (err) {
  process.stderr.write(`coordinator: ${(err as Error).message}\n`);
  process.exit(err instanceof UsageError ? err.exitCode : 1);
}
