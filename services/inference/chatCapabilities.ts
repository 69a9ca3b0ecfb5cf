import type { ModelCapabilities } from "./api/modelDownloadSchema.js";
import type { InferenceConfig } from "./inferenceConfigSchema.js";

/**
 * What the chat model can do, for GET /status and the router: the registry's
 * facts of the configured model (`chatModelStructuredOutput`,
 * `chatModelToolCalling`; assumed when unset), and for tool calling also the
 * loaded chat template (`functionCalling`, null before a model is loaded).
 * null on an instance without a chat model.
 */
export function chatCapabilities(
  config: Pick<InferenceConfig, "chatModel" | "chatModelStructuredOutput" | "chatModelToolCalling">,
  functionCalling: boolean | null,
): ModelCapabilities | null {
  if (!config.chatModel) return null;
  return {
    structuredOutput: config.chatModelStructuredOutput ?? true,
    toolCalling: (config.chatModelToolCalling ?? true) && functionCalling !== false,
  };
}
