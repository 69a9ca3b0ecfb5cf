import { randomUUID } from "node:crypto";
import type { ChatModelFunctions, Llama, LlamaGrammar } from "node-llama-cpp";
import { HttpError } from "../shared/http/HttpError.js";
import { downloadPercent, type ModelDownload } from "./api/modelDownloadSchema.js";
import type { ChatCompletionRequest } from "./api/chatCompletionRequestSchema.js";
import type { ChatModelHost } from "./ChatModelHost.js";
import { forceFunctionCall } from "./forceFunctionCall.js";
import { toChatHistory } from "./toChatHistory.js";

/** A call the model made: OpenAI's tool call, `arguments` as JSON text. */
export interface ChatToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A piece of a streamed tool call: the first names the call (`id`, `name`), the next ones add to its arguments. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  arguments: string;
}

/** Seconds a client is told to wait (Retry-After) while the chat model downloads. */
export const DOWNLOAD_RETRY_AFTER_S = 30;

export interface ChatResult {
  text: string;
  finishReason: "stop" | "length" | "tool_calls";
  /** The calls the model made (empty without tools). */
  toolCalls: ChatToolCall[];
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
  /** Streams tool calls as they are generated. */
  onToolCall?: (delta: ToolCallDelta) => void;
  /** false: the model's registry entry says it does not call tools (chatModelToolCalling), whatever its template. */
  toolCalling?: boolean;
  grammarFor: (format: ChatCompletionRequest["response_format"]) => Promise<LlamaGrammar | undefined>;
}

/** What node-llama-cpp is given for the request's tools, or undefined without them (or with tool_choice "none"). */
interface FunctionPlan {
  functions: ChatModelFunctions;
  /** tool_choice "required" or a named function: the answer starts with a call. */
  force: boolean;
  maxParallelFunctionCalls?: number;
}

function planFunctions(request: ChatCompletionRequest): FunctionPlan | undefined {
  const choice = request.tool_choice ?? "auto";
  if (!request.tools || choice === "none") return undefined;
  const named = typeof choice === "object" ? choice.function.name : undefined;
  const tools = named ? request.tools.filter((t) => t.function.name === named) : request.tools;
  const functions: ChatModelFunctions = Object.fromEntries(
    tools.map((t) => [t.function.name, { description: t.function.description, params: t.function.parameters as never }]),
  );
  return {
    functions,
    force: choice === "required" || named !== undefined,
    maxParallelFunctionCalls: named !== undefined || request.parallel_tool_calls === false ? 1 : undefined,
  };
}

/** Refuses tools the loaded model cannot call, or whose parameters no grammar can enforce, before any work. */
async function checkTools(
  host: ChatModelHost,
  request: ChatCompletionRequest,
  plan: FunctionPlan | undefined,
  { grammarFor, toolCalling }: Pick<CompleteChatOptions, "grammarFor" | "toolCalling">,
) {
  if (!plan) return;
  if (toolCalling === false) {
    const name = host.status().model_name ?? "the chat model";
    throw new HttpError(400, "tools_not_supported", `tools: the chat model ${name} does not call tools (chatModelToolCalling is false, from the model registry); leave tools out`, {
      param: "tools",
    });
  }
  const loaded = host.current;
  if (loaded && !loaded.callsFunctions) {
    const name = host.status().model_name ?? "the chat model";
    throw new HttpError(
      400,
      "tools_not_supported",
      `tools: the chat model ${name} cannot call functions: its chat template has no function-call syntax (node-llama-cpp reads it as ${loaded.wrapper.wrapperName}); leave tools out or use a model whose chat template supports tools`,
      { param: "tools" },
    );
  }
  for (const [i, tool] of (request.tools ?? []).entries()) {
    if (!tool.function.parameters || !(tool.function.name in plan.functions)) continue;
    try {
      await grammarFor({ type: "json_schema", json_schema: { schema: tool.function.parameters } });
    } catch (err) {
      const message = (err as Error).message.replace(/^body\.response_format\.json_schema\.schema: /, "");
      const path = `body.tools[${i}].function.parameters`;
      throw new HttpError(400, "validation_error", `${path}: ${message}`, { fields: [{ path, message }] });
    }
  }
}

/**
 * Runs one chat completion: waits for a sequence, checks that prompt plus
 * max_tokens fit the context (400 context_length_exceeded otherwise; nothing
 * is truncated), generates, and frees the sequence however it ends. With
 * `tools`, node-llama-cpp's function calling generates the calls under
 * grammars (the function's name, then its arguments' JSON schema); a model
 * whose chat template cannot call functions refuses them (400
 * tools_not_supported), so tools are never silently ignored.
 */
export async function completeChat(opts: CompleteChatOptions): Promise<ChatResult> {
  const { host, request } = opts;
  const history = toChatHistory(request.messages);
  const grammar = await opts.grammarFor(request.response_format);
  const plan = planFunctions(request);
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
  // Refuse an oversized prompt (or tools the model cannot call) before it
  // takes a place in the queue; checked again after acquiring, since a
  // reload may have swapped the model.
  if (host.current && !host.loading) {
    await checkTools(host, request, plan, opts);
    budget(host, history, request, opts.defaultMaxTokens, plan);
  }

  const sequence = await host.scheduler.acquire(opts.signal);
  try {
    const loaded = host.current;
    if (!loaded) throw new HttpError(503, "model_unavailable", "the chat model is not loaded");
    await checkTools(host, request, plan, opts);
    const { promptTokens, maxTokens } = budget(host, history, request, opts.defaultMaxTokens, plan);
    const chat = host.chatOn(sequence, plan?.force ? forceFunctionCall(loaded.wrapper) : undefined);
    let completionTokens = 0;
    const started = performance.now();
    const calls = new ToolCallStream(opts.onToolCall);
    try {
      const stop = request.stop === undefined ? [] : Array.isArray(request.stop) ? request.stop : [request.stop];
      const penalize = request.presence_penalty !== undefined || request.frequency_penalty !== undefined;
      const common = {
        maxTokens,
        temperature: request.temperature ?? 1,
        topP: request.top_p,
        topK: request.top_k,
        seed: request.seed,
        customStopTriggers: stop.length > 0 ? stop : undefined,
        repeatPenalty: penalize ? { presencePenalty: request.presence_penalty, frequencyPenalty: request.frequency_penalty } : (false as const),
        signal: opts.signal,
        stopOnAbortSignal: true,
        onToken: (tokens: unknown[]) => {
          completionTokens += tokens.length;
        },
        onTextChunk: opts.onText,
      };
      const result = plan
        ? await chat.generateResponse(history, {
            ...common,
            functions: plan.functions,
            documentFunctionParams: true,
            maxParallelFunctionCalls: plan.maxParallelFunctionCalls,
            onFunctionCallParamsChunk: (c) => calls.params(c.callIndex, c.functionName, c.paramsChunk, c.done),
            onFunctionCall: (c) => calls.completed(c.functionName, c.params),
          })
        : await chat.generateResponse(history, { ...common, grammar });
      const reason = result.metadata.stopReason;
      const toolCalls = (result.functionCalls ?? []).map((c, i) => ({ id: calls.idOf(i), name: c.functionName, arguments: JSON.stringify(c.params ?? {}) }));
      if (toolCalls.length > 0) {
        // Tokens of function calls do not pass through onToken; the sequence holds the prompt and everything generated after it.
        completionTokens = Math.max(completionTokens, sequence.nextTokenIndex - promptTokens);
      }
      return {
        text: result.response,
        finishReason: reason === "maxTokens" ? "length" : toolCalls.length > 0 ? "tool_calls" : "stop",
        toolCalls,
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

/**
 * Turns node-llama-cpp's function-call callbacks into OpenAI's tool-call
 * deltas: the first names the call, the next ones carry its arguments as
 * they are generated (whitespace the grammar allows after the JSON is held
 * back until more text follows, and dropped at the end).
 */
class ToolCallStream {
  private readonly ids: string[] = [];
  private readonly pending = new Map<number, string>();
  private completedCount = 0;

  constructor(private readonly emit?: (delta: ToolCallDelta) => void) {}

  idOf(index: number): string {
    return (this.ids[index] ??= `call_${randomUUID().replaceAll("-", "").slice(0, 24)}`);
  }

  params(index: number, name: string, chunk: string, done: boolean): void {
    if (!this.emit) return;
    if (this.ids[index] === undefined) this.emit({ index, id: this.idOf(index), name, arguments: "" });
    const text = (this.pending.get(index) ?? "") + chunk;
    if (/^\s*$/.test(text) || done) {
      const trimmed = done ? text.trimEnd() : "";
      this.pending.set(index, done ? "" : text);
      if (trimmed) this.emit({ index, arguments: trimmed });
      return;
    }
    this.pending.set(index, "");
    this.emit({ index, arguments: text });
  }

  /** A call is complete; one that had no arguments to stream is sent whole. */
  completed(name: string, params: unknown): void {
    const index = this.completedCount++;
    if (!this.emit || this.ids[index] !== undefined) return;
    this.emit({ index, id: this.idOf(index), name, arguments: JSON.stringify(params ?? {}) });
  }
}

function budget(
  host: ChatModelHost,
  history: ReturnType<typeof toChatHistory>,
  request: ChatCompletionRequest,
  defaultMaxTokens: number,
  plan: FunctionPlan | undefined,
): { promptTokens: number; maxTokens: number } {
  const loaded = host.current;
  if (!loaded) throw new HttpError(503, "model_unavailable", "the chat model is not loaded");
  const { contextText } = loaded.wrapper.generateContextState({ chatHistory: history, availableFunctions: plan?.functions, documentFunctionParams: true });
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
