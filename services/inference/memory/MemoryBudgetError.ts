import { ConfigError } from "../../shared/config/ConfigError.js";

/** The models and contexts the settings ask for do not fit in the memory limit: exit code 2 at boot, with the numbers. */
export class MemoryBudgetError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = "MemoryBudgetError";
  }
}
