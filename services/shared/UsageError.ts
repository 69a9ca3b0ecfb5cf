/**
 * A mistake in how a program was invoked or configured: a bad flag, a bad
 * config value, a model file that fails verification. The CLI maps it to
 * exit code 2; nothing about it is an internal failure.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
