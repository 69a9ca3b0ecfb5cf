import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { SYNTH_GENERATOR_VERSION } from "../../services/models/synthGeneratorVersion.js";
import { synthModel } from "../../services/models/synthModel.js";

/** Synthetic models shared by the test files, made once per run. */
export interface TestModels {
  /** tiny preset: never emits end-of-generation, runs to max_tokens. */
  chat: string;
  /** tiny preset, another seed: the target of reload tests. */
  chatAlt: string;
  /** tiny preset with --answer-length 8. */
  chatShort: string;
  /** tiny preset with --always-empty. */
  chatEmpty: string;
  /** bench preset (about 60 MB): loads slowly enough to watch a reload. */
  chatBig: string;
  /** tiny preset used as the embedding model. */
  embed: string;
  /** reranker preset (qwen3 with a classifier head). */
  rerank: string;
  /** tiny preset with the chatml-tools template: node-llama-cpp can call functions with it. */
  chatTools: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    models: TestModels;
    aqBin: string;
  }
}

export const shortAnswerLength = 8;

export default async function setup(project: TestProject) {
  const root = resolve(import.meta.dirname, "../..");
  // The CLI tests run the real bundle.
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
  // Keyed on the generator version: a newer writer makes new files.
  const dir = join(root, ".test-artifacts", `models-v${SYNTH_GENERATOR_VERSION}`);
  mkdirSync(dir, { recursive: true });
  const make = async (name: string, opts: Omit<Parameters<typeof synthModel>[0], "out">) => {
    const out = join(dir, name);
    // Same options and seed give the same bytes, so a file from an earlier
    // run is reused only if its name encodes the options.
    if (!existsSync(out)) await synthModel({ ...opts, out });
    return out;
  };
  const models: TestModels = {
    chat: await make("chat-s1-c8192.gguf", { preset: "tiny", seed: 1, contextLength: 8192 }),
    chatAlt: await make("chat-s2-c8192.gguf", { preset: "tiny", seed: 2, contextLength: 8192 }),
    chatShort: await make(`chat-s1-len${shortAnswerLength}.gguf`, { preset: "tiny", seed: 1, answerLength: shortAnswerLength }),
    chatEmpty: await make("chat-s1-empty.gguf", { preset: "tiny", seed: 1, alwaysEmpty: true }),
    chatBig: await make("bench-s1.gguf", { preset: "bench", seed: 1 }),
    embed: await make("embed-s3.gguf", { preset: "tiny", seed: 3 }),
    rerank: await make("rerank-s1.gguf", { preset: "reranker", seed: 1 }),
    chatTools: await make("chat-tools-s1-c8192.gguf", { preset: "tiny", seed: 1, contextLength: 8192, template: "chatml-tools" }),
  };
  project.provide("models", models);
  project.provide("aqBin", join(root, "dist", "aq.js"));
}
