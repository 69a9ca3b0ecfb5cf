import { UsageError } from "../UsageError.js";

/** Invalid configuration: ends the process with exit code 2 at boot. */
export class ConfigError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
