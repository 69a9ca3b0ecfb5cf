import { getLlama, type Llama } from "node-llama-cpp";

let shared: Promise<Llama> | undefined;

/**
 * One llama.cpp binding per process: each getLlama() test-loads the native
 * binaries (0.6-0.9 s). CPU only, and never download or compile anything.
 */
export function getSharedLlama(maxThreads: number): Promise<Llama> {
  process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD ??= "true";
  shared ??= getLlama({ gpu: false, build: "never", maxThreads, logLevel: "error" as never }).catch((err) => {
    shared = undefined;
    throw err;
  });
  return shared;
}
