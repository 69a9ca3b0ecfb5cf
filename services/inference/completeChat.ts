import type { Llama, LlamaGrammar } from "node-llama-cpp";
import { HttpError } from "../shared/http/HttpError.js";
import { downloadPercent, type ModelDownload } from "./api/modelDownloadSchema.js";
import type { ChatCompletionRequest } from "./api/chatCompletionRequestSchema.js";
import type { ChatModelHost } from "./ChatModelHost.js";
import { toChatHistory } from "./toChatHistory.js";

/** Seconds a client is told to wait (Retry-After) while the chat model downloads. */
export const DOWNLOAD_RETRY_AFTER_S = 30;

export interface ChatResult {
  text: string;
  finishReason: "stop" | "length";
  aborted: boolean;
  promptTokens: number;
  completionTokens: number;
  /** Seconds spent generating, after the sequence was acquired. */
  generationSeconds: number;
  modelName: string;
}

export interface CompleteChatOptions {
  host: ChatModelHost;
  llama: Llama;
  request: ChatCompletionRequest;
  defaultMaxTokens: number;
  /** False on an instance started for embeddings or rerank only. */
  chatConfigured: boolean;
  /** The chat model file's download, while it is not there yet (503 `model_downloading` with Retry-After). */
  download?: ModelDownload;
  signal: AbortSignal;
  onText?: (text: string) => void;
  grammarFor: (format: ChatCompletionRequest["response_format"]) => Promise<LlamaGrammar | undefined>;
}

/**
 * Runs one chat completion: waits for a sequence, checks that prompt plus
 * max_tokens fit the context (400 context_length_exceeded otherwise; nothing
 * is truncated), generates, and frees the sequence however it ends.
 */
export async function completeChat(opts: CompleteChatOptions): Promise<ChatResult> {
  const { host, request } = opts;
  const history = toChatHistory(request.messages);
  const grammar = await opts.grammarFor(request.response_format);
  if (!opts.chatConfigured) {
    throw new HttpError(501, "chat_not_configured", "this instance serves no chat model; start it with --chat-model FILE");
  }
  if (!host.current && !host.loading && opts.download && opts.download.state !== "refused") {
    const pct = downloadPercent(opts.download);
    throw new HttpError(
      503,
      "model_downloading",
      `the chat model is still being downloaded (${pct}%); ask again later`,
      { load_progress_pct: pct },
      { "retry-after": String(DOWNLOAD_RETRY_AFTER_S) },
    );
  }
  if (!host.current && !host.loading) {
    const refused = opts.download?.state === "refused" ? `its download was refused: ${opts.download.error ?? "unknown reason"}` : undefined;
    throw new HttpError(503, "model_unavailable", `no chat model is loaded: ${refused ?? host.status().error ?? "unknown"}`);
  }
  // Refuse an oversized prompt before it takes a place in the queue; checked
  // again after acquiring, since a reload may have swapped the model.
  if (host.current && !host.loading) budget(host, history, request, opts.defaultMaxTokens);

  const sequence = await host.scheduler.acquire(opts.signal);
  try {
    const loaded = host.current;
    if (!loaded) throw new HttpError(503, "model_unavailable", "the chat model is not loaded");
    const { promptTokens, maxTokens } = budget(host, history, request, opts.defaultMaxTokens);
    const chat = host.chatOn(sequence);
    let completionTokens = 0;
    const started = performance.now();
    try {
      const stop = request.stop === undefined ? [] : Array.isArray(request.stop) ? request.stop : [request.stop];
      const penalize = request.presence_penalty !== undefined || request.frequency_penalty !== undefined;
      const result = await chat.generateResponse(history, {
        maxTokens,
        temperature: request.temperature ?? 1,
        topP: request.top_p,
        topK: request.top_k,
        seed: request.seed,
        grammar,
        customStopTriggers: stop.length > 0 ? stop : undefined,
        repeatPenalty: penalize
          ? { presencePenalty: request.presence_penalty, frequencyPenalty: request.frequency_penalty }
          : false,
        signal: opts.signal,
        stopOnAbortSignal: true,
        onToken: (tokens) => {
          completionTokens += tokens.length;
        },
        onTextChunk: opts.onText,
      });
      const reason = result.metadata.stopReason;
      return {
        text: result.response,
        finishReason: reason === "maxTokens" ? "length" : "stop",
        aborted: reason === "abort",
        promptTokens,
        completionTokens,
        generationSeconds: (performance.now() - started) / 1000,
        modelName: host.status().model_name ?? "unknown",
      };
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  } finally {
    host.scheduler.release(sequence);
  }
}

function budget(
  host: ChatModelHost,
  history: ReturnType<typeof toChatHistory>,
  request: ChatCompletionRequest,
  defaultMaxTokens: number,
): { promptTokens: number; maxTokens: number } {
  const loaded = host.current;
  if (!loaded) throw new HttpError(503, "model_unavailable", "the chat model is not loaded");
  const { contextText } = loaded.wrapper.generateContextState({ chatHistory: history });
  const promptTokens = contextText.tokenize(loaded.model.tokenizer).length;
  const contextSize = loaded.context.contextSize;
  const requested = request.max_completion_tokens ?? request.max_tokens;
  const maxTokens = requested ?? Math.min(defaultMaxTokens, contextSize - promptTokens);
  if (promptTokens + maxTokens > contextSize || maxTokens < 1) {
    throw new HttpError(
      400,
      "context_length_exceeded",
      `prompt (${promptTokens} tokens) plus max_tokens (${maxTokens}) exceeds the context size of ${contextSize} tokens`,
      { prompt_tokens: promptTokens, max_tokens: maxTokens, context_size: contextSize },
    );
  }
  return { promptTokens, maxTokens };
}
