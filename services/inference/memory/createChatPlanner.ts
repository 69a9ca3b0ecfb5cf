import type { Llama } from "node-llama-cpp";
import type { InferenceConfig } from "../inferenceConfigSchema.js";
import { checkAuxiliaryFits, estimateAuxiliaryBytes, planChatMemory, type ChatMemoryPlan } from "./planMemory.js";
import type { MemoryLimit } from "./readMemoryLimit.js";

/** Tokens of each embedding and ranking context: embedContextSize, else contextSize (2048 when that is "auto"). */
export function embedContextSize(config: InferenceConfig): number {
  return config.embedContextSize ?? (config.contextSize === "auto" ? 2048 : config.contextSize);
}

/**
 * The planner the chat model host runs before each load: the settings, the
 * process's memory limit and the other models of the process, through
 * planChatMemory.
 */
export function createChatPlanner(config: InferenceConfig, llama: Llama, limit: MemoryLimit | null): (modelPath: string) => Promise<ChatMemoryPlan> {
  return async (modelPath) =>
    planChatMemory({
      llama,
      modelPath,
      contextSize: config.contextSize,
      sequences: config.sequences,
      batchSize: config.batchSize,
      kvCacheType: config.kvCacheType,
      gpuLayers: config.gpuLayers,
      limit,
      otherBytes: await estimateAuxiliaryBytes(llama, config),
    });
}

/**
 * The check at boot: the configured models must fit the memory limit, or
 * the service stops with MemoryBudgetError (exit code 2) before it listens.
 * A chat model file that is not there yet (still downloading) is checked
 * when it loads.
 */
export async function checkMemoryAtBoot(config: InferenceConfig, llama: Llama, limit: MemoryLimit | null, chatModelPresent: boolean): Promise<ChatMemoryPlan | null> {
  if (config.chatModel && chatModelPresent) return createChatPlanner(config, llama, limit)(config.chatModel);
  if (!config.chatModel) checkAuxiliaryFits(limit, await estimateAuxiliaryBytes(llama, config));
  return null;
}
