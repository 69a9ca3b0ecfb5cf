import { LlamaText, type ChatWrapper, type ChatWrapperGenerateContextStateOptions } from "node-llama-cpp";

/**
 * The model's chat wrapper, except that the answer starts with a function
 * call: after the prompt, node-llama-cpp injects the template's call prefix
 * (`noPrefixTrigger` of type functionCall) and generates the function's
 * name and arguments under its grammars. This is `tool_choice: "required"`
 * (or a named function), which node-llama-cpp has no option for.
 */
export function forceFunctionCall(wrapper: ChatWrapper): ChatWrapper {
  const generateContextState = (options: ChatWrapperGenerateContextStateOptions) => {
    const state = wrapper.generateContextState(options);
    return {
      contextText: state.contextText,
      stopGenerationTriggers: state.stopGenerationTriggers,
      noPrefixTrigger: { type: "functionCall" as const, inject: LlamaText(wrapper.settings.functions.call.prefix) },
    };
  };
  return new Proxy(wrapper, {
    get(target, prop) {
      if (prop === "generateContextState") return generateContextState;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
