import type { ChainableCommander } from "ioredis";

/** Runs a MULTI; throws if it was aborted or if any of its commands failed (the first error). */
export async function execMulti(multi: ChainableCommander): Promise<void> {
  const results = await multi.exec();
  if (!results) throw new Error("MULTI aborted");
  const failed = results.find(([err]) => err);
  if (failed) throw failed[0];
}
