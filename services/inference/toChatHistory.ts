import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from "node-llama-cpp";
import type { ChatMessage } from "./api/chatCompletionRequestSchema.js";

function text(content: ChatMessage["content"]): string {
  if (content == null) return "";
  return typeof content === "string" ? content : content.map((p) => p.text).join("");
}

/** A tool's result as the chat template shows it: JSON when the text is JSON, the text otherwise. */
function toolResult(content: string): unknown {
  try {
    return JSON.parse(content) as unknown;
  } catch {
    return content;
  }
}

/**
 * OpenAI messages -> node-llama-cpp chat history. An assistant message's
 * `tool_calls` become function calls in its model response, each with the
 * result of the `tool` message that answers it (the request schema checked
 * that every call has one). The history ends with the model's turn to
 * answer: an empty model response, or, when the conversation ends with tool
 * results, the response that made the calls, which the model continues.
 */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const results = new Map<string, string>();
  for (const m of messages) if (m.role === "tool") results.set(m.tool_call_id, text(m.content));
  const history: ChatHistoryItem[] = [];
  for (const m of messages) {
    if (m.role === "system" || m.role === "developer") history.push({ type: "system", text: text(m.content) });
    else if (m.role === "user") history.push({ type: "user", text: text(m.content) });
    else if (m.role === "assistant") {
      const response: ChatModelResponse["response"] = [];
      const said = text(m.content);
      if (said) response.push(said);
      m.tool_calls?.forEach((call, i) => {
        const functionCall: ChatModelFunctionCall = {
          type: "functionCall",
          name: call.function.name,
          params: JSON.parse(call.function.arguments) as unknown,
          result: toolResult(results.get(call.id) ?? ""),
          startsNewChunk: i === 0,
        };
        response.push(functionCall);
      });
      history.push({ type: "model", response });
    }
  }
  if (messages.at(-1)?.role !== "tool") history.push({ type: "model", response: [] });
  return history;
}
