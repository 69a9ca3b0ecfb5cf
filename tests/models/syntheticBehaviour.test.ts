import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaChatSession, LlamaCompletion, type Llama, type LlamaContextSequence, type LlamaModel } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { synthModel } from "../../services/models/synthModel.js";
import type { SynthModelSpec } from "../../services/models/synthOptionsSchema.js";

// Real node-llama-cpp on synthetic models: what the inference tests and the
// benchmark rely on. One Llama for the whole file; contexts use one thread.
let dir: string;
let llama: Llama;
/** Everything to dispose, newest first at the end. */
const disposables: Array<{ dispose(): Promise<void> | void }> = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aq-behaviour-"));
  llama = await getLlama({ gpu: false, build: "never", logLevel: "error" as never });
});
afterAll(async () => {
  // Contexts before their models, newest first: model.dispose() or
  // llama.dispose() with live contexts can wait forever (node-llama-cpp 3.22.1).
  for (const d of disposables.reverse()) await d.dispose();
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function load(name: string, spec: SynthModelSpec): Promise<LlamaModel> {
  const { path } = await synthModel({ ...spec, out: join(dir, `${name}.gguf`) });
  const model = await llama.loadModel({ modelPath: path });
  disposables.push(model);
  return model;
}

/** A model with one chat sequence, reused (history cleared) between chats. */
async function chatModel(name: string, spec: SynthModelSpec, contextSize = 1024): Promise<{ model: LlamaModel; sequence: LlamaContextSequence }> {
  const model = await load(name, spec);
  const context = await model.createContext({ contextSize, threads: 1 });
  disposables.push(context);
  return { model, sequence: context.getSequence() };
}

const prompts = ["Hello there", "What is the capital of France? Answer in one word.", "x", "Write a long essay about the sea, with examples.", "héllo wörld ✓ 日本語 1234"];
const samplings = [{}, { temperature: 0.8, topP: 0.9, seed: 1 }, { temperature: 0.8, topK: 40, topP: 0.95, seed: 2 }, { temperature: 1.5, seed: 3 }];

interface Answer {
  text: string;
  tokens: number;
}

/** One fresh chat through node-llama-cpp's own ChatML wrapper; counts generated tokens as they stream. */
async function chat(sequence: LlamaContextSequence, prompt: string, options: Record<string, unknown>, maxTokens: number): Promise<Answer> {
  await sequence.clearHistory();
  const session = new LlamaChatSession({ contextSequence: sequence });
  try {
    let tokens = 0;
    const text = await session.prompt(prompt, { maxTokens, onToken: (t) => void (tokens += t.length), ...options });
    return { text, tokens };
  } finally {
    session.dispose({ disposeSequence: false });
  }
}

async function everyChat(sequence: LlamaContextSequence, maxTokens: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const prompt of prompts) for (const s of samplings) answers.push(await chat(sequence, prompt, s, maxTokens));
  return answers;
}

/** Plain words and spaces: no control tokens, no stray bytes, no replacement characters. */
const printable = /^[A-Za-z ]*$/;

describe("answer length control (tiny preset)", () => {
  it("uses the ChatML chat wrapper", async () => {
    const { sequence } = await chatModel("wrapper", { preset: "tiny", answerLength: 2 }, 256);
    const session = new LlamaChatSession({ contextSequence: sequence });
    expect(session.chatWrapper.wrapperName).toBe("ChatML");
    session.dispose({ disposeSequence: false });
  });

  it("default: never ends by itself, every answer runs to maxTokens", async () => {
    const { sequence } = await chatModel("unbounded", { preset: "tiny", seed: 1 });
    for (const a of await everyChat(sequence, 24)) {
      expect(a.tokens).toBe(24);
      expect(a.text).toMatch(printable);
      expect(a.text.length).toBeGreaterThan(24);
    }
    // Temperature sampling varies the text; it is still words.
    const varied = new Set((await everyChat(sequence, 12)).map((a) => a.text));
    expect(varied.size).toBeGreaterThan(3);
  });

  it("--always-empty: the first generated token ends the turn", async () => {
    const { sequence } = await chatModel("empty", { preset: "tiny", alwaysEmpty: true });
    for (const a of await everyChat(sequence, 24)) expect(a).toEqual({ text: "", tokens: 0 });
  });

  it("--answer-length N: exactly N tokens, then end of turn, for every prompt and sampling", async () => {
    const { sequence } = await chatModel("len8", { preset: "tiny", seed: 4, answerLength: 8 });
    const answers = await everyChat(sequence, 40);
    for (const a of answers) {
      expect(a.tokens).toBe(8);
      expect(a.text).toMatch(printable);
    }
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(answers[0].text.split(" ")).toHaveLength(8);
  });

  it("--answer-length holds for long answers and multi-turn chats too", async () => {
    const { sequence } = await chatModel("len150", { preset: "tiny", seed: 9, answerLength: 150 }, 2048);
    const session = new LlamaChatSession({ contextSequence: sequence });
    for (const [i, prompt] of ["first question", "and a follow-up", "a third one"].entries()) {
      let tokens = 0;
      await session.prompt(prompt, { maxTokens: 400, temperature: 0.8, seed: i, onToken: (t) => void (tokens += t.length) });
      expect(tokens).toBe(150);
    }
    session.dispose({ disposeSequence: false });
  });

  it("raw completion: exactly N tokens when the prompt does not end in one of the answer's own tokens", async () => {
    const { sequence } = await chatModel("len5", { preset: "tiny", seed: 2, answerLength: 5 }, 512);
    const completion = new LlamaCompletion({ contextSequence: sequence });
    for (const prompt of ["Once upon a time\n", "Q: 2+2?\nA:", "\n"]) {
      await sequence.clearHistory();
      let tokens = 0;
      await completion.generateCompletion(prompt, { maxTokens: 30, temperature: 0.8, onToken: (t) => void (tokens += t.length) });
      expect(tokens).toBe(5);
    }
  });

  it("different seeds answer with different words", async () => {
    const a = await chatModel("seedA", { preset: "tiny", seed: 21, answerLength: 6 }, 256);
    const b = await chatModel("seedB", { preset: "tiny", seed: 22, answerLength: 6 }, 256);
    const [x, y] = [await chat(a.sequence, "hi", {}, 20), await chat(b.sequence, "hi", {}, 20)];
    expect(x.tokens).toBe(6);
    expect(y.tokens).toBe(6);
    expect(x.text).not.toBe(y.text);
  });
});

describe("embeddings (tiny preset)", () => {
  it("are n_embd long, deterministic, and closer for texts that share words", async () => {
    const model = await load("embed", { preset: "tiny", seed: 3 });
    const context = await model.createEmbeddingContext({ contextSize: 512, threads: 1 });
    disposables.push(context);
    const embed = async (text: string) => {
      const v = (await context.getEmbeddingFor(text)).vector;
      const norm = Math.hypot(...v);
      return v.map((x) => x / norm);
    };
    const cos = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
    const cat = await embed("the cat sat on the mat");
    const dog = await embed("the dog sat on the mat");
    const sun = await embed("water and light from the sun");
    const sun2 = await embed("the sun gives light and water");
    expect(cat).toHaveLength(64);
    expect(await embed("the cat sat on the mat")).toEqual(cat);
    expect(cos(cat, dog)).toBeGreaterThan(cos(cat, sun) + 0.15);
    expect(cos(sun, sun2)).toBeGreaterThan(cos(sun, cat) + 0.15);
    expect(cos(sun, sun2)).toBeGreaterThan(0.75);
  });
});

describe("reranker preset", () => {
  it("ranks with createRankingContext: scores in (0, 1) that differ between documents", async () => {
    const model = await load("rerank", { preset: "reranker", seed: 1 });
    const context = await model.createRankingContext({ contextSize: 512, threads: 1 });
    disposables.push(context);
    const docs = ["the cat sat on the mat", "server memory cache", "water and light from the sun", "a b c", "cats and dogs live with people at home"];
    const scores = await context.rankAll("where did the cat sit", docs);
    expect(scores).toHaveLength(docs.length);
    for (const s of scores) {
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThan(1);
    }
    expect(Math.max(...scores) - Math.min(...scores)).toBeGreaterThan(0.05);
    expect(await context.rankAll("where did the cat sit", docs)).toEqual(scores);
  });

  it("is refused by a plain llama model", async () => {
    const model = await load("norank", { preset: "tiny", answerLength: 1 });
    await expect(model.createRankingContext()).rejects.toThrow(/not supported/);
  });
});

describe("bench preset", () => {
  it("loads and generates to maxTokens", async () => {
    const started = performance.now();
    const { model, sequence } = await chatModel("bench", { preset: "bench" }, 512);
    const loadedMs = performance.now() - started;
    const a = await chat(sequence, "Hello, how are you?", { temperature: 0.8 }, 20);
    expect(a.tokens).toBe(20);
    expect(a.text).toMatch(printable);
    expect(model.trainContextSize).toBe(4096);
    expect(loadedMs).toBeLessThan(20_000);
  });
});
