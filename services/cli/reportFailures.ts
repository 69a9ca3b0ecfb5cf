import { UsageError } from "../shared/UsageError.js";
import type { Command } from "./CommandIo.js";
import { describeServiceError } from "./describeServiceError.js";

/**
 * A command whose failures (other than usage errors, which exit 2) are
 * printed as `aq NAME: what went wrong` and exit 1: a service that refused,
 * could not be reached, or answered something else.
 */
export function reportFailures(name: string, run: Command, describe: (err: unknown) => string = describeServiceError): Command {
  return async (argv, io) => {
    try {
      return await run(argv, io);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      io.err(`aq ${name}: ${describe(err)}`);
      return 1;
    }
  };
}
