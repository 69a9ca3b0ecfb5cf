import { ConfigError } from "../shared/config/ConfigError.js";

/** The configured GPU backend did not load and `gpuFallback` is "exit": the service stops with exit code 2. */
export class GpuUnavailableError extends ConfigError {
  constructor(requested: string, reason: string) {
    super(`gpu "${requested}" is not available and gpuFallback is "exit": ${reason}. Set gpuFallback = "cpu" to serve on the CPU instead, or gpu = "off".`);
    this.name = "GpuUnavailableError";
  }
}
