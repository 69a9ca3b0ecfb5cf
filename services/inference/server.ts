// Entry point of the inference bundle (dist/inference-server.js), as run by
// the NixOS unit. Settings come from AI_STACK_CONFIG and AI_INFERENCE_*.
import { UsageError } from "../shared/UsageError.js";
import { startInference } from "./startInference.js";

try {
  await startInference();
} catch (err) {
  process.stderr.write(`inference: ${(err as Error).message}\n`);
  process.exit(err instanceof UsageError ? err.exitCode : 1);
}
