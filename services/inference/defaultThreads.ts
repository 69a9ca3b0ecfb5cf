import { availableParallelism } from "node:os";

/**
 * Threads per evaluation that suit this machine. llama.cpp's generation is
 * memory-bound and its threads spin-wait: on 2 cores, 1 thread is fastest and
 * oversubscribing (4 threads) was measured about 1000x slower (docs/benchmarks.md).
 * Leave one core for the event loop, HTTP and the OS.
 */
export function defaultThreads(cores = availableParallelism()): number {
  if (cores <= 2) return 1;
  return Math.min(cores - 1, 16);
}
