import type { ChatHistoryItem } from "node-llama-cpp";
import type { ChatMessage } from "./api/chatCompletionRequestSchema.js";

function text(content: ChatMessage["content"]): string {
  if (content == null) return "";
  return typeof content === "string" ? content : content.map((p) => p.text).join("");
}

/**
 * OpenAI messages -> node-llama-cpp chat history, ending with an empty model
 * turn for the answer.
 */
export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  for (const m of messages) {
    if (m.role === "system" || m.role === "developer") history.push({ type: "system", text: text(m.content) });
    else if (m.role === "user") history.push({ type: "user", text: text(m.content) });
    else history.push({ type: "model", response: [text(m.content)] });
  }
  history.push({ type: "model", response: [] });
  return history;
}
