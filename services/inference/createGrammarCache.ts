import type { Llama, LlamaGrammar } from "node-llama-cpp";
import { HttpError } from "../shared/http/HttpError.js";
import type { ChatCompletionRequest } from "./api/chatCompletionRequestSchema.js";

/**
 * Grammars for `response_format`, compiled once per distinct schema and kept
 * in a small LRU (compiling a JSON-schema grammar costs milliseconds).
 */
export function createGrammarCache(llama: Llama, capacity = 32) {
  const cache = new Map<string, Promise<LlamaGrammar>>();
  return async function grammarFor(format: ChatCompletionRequest["response_format"]): Promise<LlamaGrammar | undefined> {
    if (!format || format.type === "text") return undefined;
    const key = format.type === "json_object" ? "json_object" : JSON.stringify(format.json_schema.schema);
    let grammar = cache.get(key);
    if (grammar) {
      cache.delete(key);
    } else {
      grammar =
        format.type === "json_object"
          ? llama.getGrammarFor("json")
          : llama.createGrammarForJsonSchema(format.json_schema.schema as never);
      grammar.catch(() => cache.delete(key));
      if (cache.size >= capacity) cache.delete(cache.keys().next().value as string);
    }
    cache.set(key, grammar);
    try {
      return await grammar;
    } catch (err) {
      throw new HttpError(400, "validation_error", `body.response_format.json_schema.schema: unsupported JSON schema: ${(err as Error).message}`, {
        fields: [{ path: "body.response_format.json_schema.schema", message: (err as Error).message }],
      });
    }
  };
}
