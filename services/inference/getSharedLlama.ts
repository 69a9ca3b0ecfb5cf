import type { Llama } from "node-llama-cpp";
import { getLlamaBackend } from "./getLlamaBackend.js";

/**
 * The process's CPU binding of llama.cpp (getLlamaBackend with gpu "off"),
 * for callers that embed in process (aidb's local embedder). The inference
 * service picks its backend with getLlamaBackend.
 */
export async function getSharedLlama(maxThreads: number): Promise<Llama> {
  return (await getLlamaBackend(maxThreads, { gpu: "off" })).llama;
}
