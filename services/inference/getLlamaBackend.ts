import { getLlama, type Llama } from "node-llama-cpp";
import { GpuUnavailableError } from "./GpuUnavailableError.js";

/** The `gpu` setting: a prebuilt llama.cpp backend, or the best one that loads. */
export type GpuSetting = "auto" | "cuda" | "vulkan" | "off";

export interface GpuOptions {
  gpu: GpuSetting;
  /** The host has a GPU: a CPU-only result of "auto" is a fallback. */
  gpuExpected?: boolean;
  /** A fallback serves on the CPU, or throws GpuUnavailableError (exit code 2). */
  gpuFallback?: "cpu" | "exit";
}

export interface LlamaBackend {
  llama: Llama;
  requested: GpuSetting;
  /** What runs: "cuda", "vulkan", "metal" or "cpu". */
  backend: string;
  /** A GPU was expected and the CPU runs instead, and why; null otherwise. */
  fallback: { reason: string } | null;
}

const shared = new Map<string, Promise<LlamaBackend>>();

/**
 * One llama.cpp binding per process and backend setting: each getLlama()
 * test-loads the native binaries (0.4-0.9 s). Prebuilt binaries only
 * (`build: "never"`): nothing is ever downloaded or compiled.
 *
 * `gpu: "cuda" | "vulkan"` loads that backend; when its binary does not load
 * (no driver, no CUDA runtime), the CPU build serves instead and the result
 * says so in `fallback`, unless `gpuFallback: "exit"`, which throws
 * GpuUnavailableError. `gpu: "auto"` takes the first backend that loads
 * (CUDA, Vulkan, then CPU); landing on the CPU is a fallback only when
 * `gpuExpected` is set. The caller logs and counts a fallback.
 */
export function getLlamaBackend(maxThreads: number, opts: GpuOptions): Promise<LlamaBackend> {
  process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD ??= "true";
  const key = `${opts.gpu}:${opts.gpuExpected === true}:${opts.gpuFallback ?? "cpu"}`;
  let found = shared.get(key);
  if (!found) {
    found = resolveBackend(maxThreads, opts);
    found.catch(() => shared.delete(key));
    shared.set(key, found);
  }
  return found;
}

async function resolveBackend(maxThreads: number, opts: GpuOptions): Promise<LlamaBackend> {
  const load = (gpu: "auto" | "cuda" | "vulkan" | false) => getLlama({ gpu, build: "never", maxThreads, logLevel: "error" as never });
  const fellBack = async (reason: string): Promise<LlamaBackend> => {
    if (opts.gpuFallback === "exit") throw new GpuUnavailableError(opts.gpu, reason);
    return { llama: await load(false), requested: opts.gpu, backend: "cpu", fallback: { reason } };
  };
  if (opts.gpu === "off") return { llama: await load(false), requested: "off", backend: "cpu", fallback: null };
  if (opts.gpu === "auto") {
    const llama = await load("auto");
    if (llama.gpu === false && opts.gpuExpected) {
      return fellBack("gpu is \"auto\" on a host with a GPU (gpuExpected), and no GPU backend loaded: no usable CUDA or Vulkan driver was found");
    }
    return { llama, requested: "auto", backend: llama.gpu === false ? "cpu" : llama.gpu, fallback: null };
  }
  try {
    const llama = await load(opts.gpu);
    return { llama, requested: opts.gpu, backend: llama.gpu === false ? "cpu" : llama.gpu, fallback: null };
  } catch (err) {
    return fellBack(`the ${opts.gpu} build of llama.cpp did not load (${(err as Error).message}); its driver libraries (libcuda.so.1 and the CUDA runtime for cuda, a Vulkan ICD for vulkan) must be on the loader path`);
  }
}
