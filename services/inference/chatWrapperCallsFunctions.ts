import { ChatWrapper, JinjaTemplateChatWrapper } from "node-llama-cpp";

/**
 * Whether a model can call functions, judged by the chat wrapper
 * node-llama-cpp resolved from its chat template: a wrapper for a model
 * family that was trained to call functions (Qwen, Llama 3.1, Functionary,
 * Mistral, DeepSeek, ...) has its own call syntax; a Jinja template that
 * renders tool calls has the syntax node-llama-cpp extracted from it. The
 * others (ChatML, General, Llama 2, Gemma, Alpaca, ...) only have
 * node-llama-cpp's generic `||call:` syntax, which no model was trained on:
 * those refuse `tools` rather than pretend.
 */
export function chatWrapperCallsFunctions(wrapper: ChatWrapper): boolean {
  if (wrapper instanceof JinjaTemplateChatWrapper) return wrapper.usingJinjaFunctionCallTemplate;
  return wrapper.settings.functions !== ChatWrapper.defaultSettings.functions;
}
