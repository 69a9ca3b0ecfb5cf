import { basename } from "node:path";
import {
  LlamaChat,
  resolveChatWrapper,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
} from "node-llama-cpp";
import type { Logger } from "pino";
import type { InferenceStatus } from "./api/inferenceStatusSchema.js";
import { chatWrapperCallsFunctions } from "./chatWrapperCallsFunctions.js";
import type { InferenceMetrics } from "./createInferenceMetrics.js";
import type { ChatMemoryPlan } from "./memory/planMemory.js";
import type { ModelVerifier, VerifiedModel } from "./ModelVerifier.js";
import { SlotScheduler } from "./SlotScheduler.js";

export interface ChatModelHostOptions {
  llama: Llama;
  verify: ModelVerifier;
  metrics: InferenceMetrics;
  logger: Logger;
  sequences: number;
  threads: number;
  /** Used as is only without `plan` (a number, capped at the model's trained context). */
  contextSize: number | "auto";
  queueLimit: number;
  /**
   * Plans each model before it loads (planChatMemory): GPU layers, the
   * context that fits the memory limit, batch and KV cache type. A plan that
   * throws (the model does not fit) fails the load.
   */
  plan?: (modelPath: string) => Promise<ChatMemoryPlan>;
}

interface Loaded {
  info: VerifiedModel;
  model: LlamaModel;
  context: LlamaContext;
  wrapper: ChatWrapper;
  /** The chat template has a function-call syntax (chatWrapperCallsFunctions): `tools` are served. */
  callsFunctions: boolean;
  sequences: LlamaContextSequence[];
  plan?: ChatMemoryPlan;
}

/** The chat model's part of GET /status. */
export type ChatModelStatus = Omit<InferenceStatus, "threads" | "queue_limit" | "models" | "downloading" | "download" | "capabilities" | "gpu" | "memory">;

/**
 * Owns the chat model: one context with N sequences handed out by a
 * SlotScheduler. A reload verifies the new file first (the old model keeps
 * serving if it fails), then pauses dispatch so new requests queue, lets the
 * running generations finish, swaps the model and resumes the queue.
 */
export class ChatModelHost {
  readonly scheduler: SlotScheduler<LlamaContextSequence>;
  private loaded: Loaded | undefined;
  private loadingPath: string | undefined;
  private loadProgress = 0;
  private lastError: string | undefined;
  private reloadChain: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ChatModelHostOptions) {
    this.scheduler = new SlotScheduler(opts.queueLimit, () => {
      opts.metrics.queueDepth.set(this.scheduler.queueDepth);
      opts.metrics.activeSequences.set(this.scheduler.activeCount);
    });
  }

  get current(): Loaded | undefined {
    return this.loaded;
  }

  get loading(): boolean {
    return this.loadingPath !== undefined;
  }

  status(): ChatModelStatus {
    const info = this.loaded?.info;
    return {
      model_name: info ? info.name ?? basename(info.path) : null,
      model_path: info?.path ?? null,
      model_sha256: info?.sha256 ?? null,
      loading: this.loading,
      load_progress_pct: this.loading ? Math.round(this.loadProgress * 100) : this.loaded ? 100 : 0,
      healthy: this.loaded !== undefined && !this.loading && this.lastError === undefined,
      error: this.lastError ?? null,
      queue_depth: this.scheduler.queueDepth,
      active_sequences: this.scheduler.activeCount,
      sequences: this.opts.sequences,
      context_size: this.loaded?.context.contextSize ?? null,
      function_calling: this.loaded?.callsFunctions ?? null,
    };
  }

  /**
   * Loads (or swaps to) the model at `path`. Verification failures throw
   * before anything changes. Calls are serialised.
   */
  load(path: string, expectedSha256?: string): Promise<VerifiedModel> {
    const run = this.reloadChain.then(() => this.swap(path, expectedSha256));
    this.reloadChain = run.catch(() => undefined);
    return run;
  }

  private async swap(path: string, expectedSha256?: string): Promise<VerifiedModel> {
    const info = await this.opts.verify(path, expectedSha256);
    const log = this.opts.logger.child({ event: "model_load", path });
    this.scheduler.pause();
    this.loadingPath = path;
    this.loadProgress = 0;
    this.opts.metrics.modelLoading.set(1);
    try {
      await this.scheduler.idle();
      const previous = this.loaded;
      if (previous) {
        this.loaded = undefined;
        await previous.context.dispose();
        await previous.model.dispose();
      }
      const started = performance.now();
      try {
        this.loaded = await this.open(info);
      } catch (err) {
        log.error({ err }, "model failed to load");
        if (previous) {
          this.loaded = await this.open(previous.info);
          log.warn({ restored: previous.info.path }, "previous model restored");
        }
        throw err;
      }
      const seconds = (performance.now() - started) / 1000;
      this.opts.metrics.modelLoadSeconds.observe({ role: "chat" }, seconds);
      this.lastError = undefined;
      log.info({ load_seconds: seconds, context_size: this.loaded.context.contextSize }, "chat model ready");
      return info;
    } catch (err) {
      if (!this.loaded) this.lastError = (err as Error).message;
      throw err;
    } finally {
      this.loadingPath = undefined;
      this.opts.metrics.modelLoading.set(0);
      if (this.loaded) this.scheduler.resume(this.loaded.sequences);
    }
  }

  /** How the loaded chat model was planned (layers offloaded, context, estimates); undefined before one is loaded or without a planner. */
  get memoryPlan(): ChatMemoryPlan | undefined {
    return this.loaded?.plan;
  }

  /** Layers of the loaded chat model on the GPU. */
  get gpuLayers(): number | undefined {
    return this.loaded?.model.gpuLayers;
  }

  private async open(info: VerifiedModel): Promise<Loaded> {
    const plan = this.opts.plan ? await this.opts.plan(info.path) : undefined;
    const kvType = plan?.kvCacheType === "q8_0" ? "Q8_0" : "F16";
    const model = await this.opts.llama.loadModel({
      modelPath: info.path,
      gpuLayers: plan?.gpuLayers ?? 0,
      onLoadProgress: (p) => {
        this.loadProgress = p;
      },
    });
    try {
      const contextSize = plan?.contextSize ?? Math.min(typeof this.opts.contextSize === "number" ? this.opts.contextSize : 4096, model.trainContextSize);
      const context = await model.createContext({
        contextSize,
        sequences: this.opts.sequences,
        threads: this.opts.threads,
        ...(plan && { batchSize: plan.batchSize, experimentalKvCacheKeyType: kvType, experimentalKvCacheValueType: kvType }),
      });
      const sequences = Array.from({ length: this.opts.sequences }, () => context.getSequence());
      const wrapper = resolveChatWrapper(model);
      return { info, model, context, wrapper, callsFunctions: chatWrapperCallsFunctions(wrapper), sequences, plan };
    } catch (err) {
      await model.dispose();
      throw err;
    }
  }

  /** A chat bound to a sequence the caller acquired from the scheduler (with the model's chat wrapper, or one derived from it). */
  chatOn(sequence: LlamaContextSequence, chatWrapper?: ChatWrapper): LlamaChat {
    const loaded = this.loaded;
    if (!loaded) throw new Error("no chat model loaded");
    return new LlamaChat({ contextSequence: sequence, chatWrapper: chatWrapper ?? loaded.wrapper, autoDisposeSequence: false });
  }

  async dispose(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    if (loaded) {
      await loaded.context.dispose();
      await loaded.model.dispose();
    }
  }
}
