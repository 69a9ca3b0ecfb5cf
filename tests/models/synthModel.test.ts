import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelsCommand } from "../../services/cli/commands/modelsCommand.js";
import type { CommandIo } from "../../services/cli/CommandIo.js";
import { buildSynthGguf } from "../../services/models/buildSynthGguf.js";
import { decodeTensorData } from "../../services/models/gguf/decodeTensorData.js";
import { GgmlType } from "../../services/models/gguf/ggmlTypes.js";
import { readGgufHeader } from "../../services/models/gguf/readGgufHeader.js";
import { inspectModel } from "../../services/models/inspectModel.js";
import { maxAnswerLength } from "../../services/models/maxAnswerLength.js";
import { synthModel } from "../../services/models/synthModel.js";
import { UsageError } from "../../services/shared/UsageError.js";
import { runAq } from "../helpers/spawnAq.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aq-synth-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function captureIo(): CommandIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}

/** Float values of a tensor in a synthetic file. */
async function tensorValues(path: string, name: string): Promise<Float32Array> {
  const h = await readGgufHeader(path);
  const t = h.tensors.find((x) => x.name === name)!;
  const buf = await readFile(path);
  return decodeTensorData(buf, h.dataOffset + t.offset, t.elements, t.type as 0 | 1 | 8);
}

describe("buildSynthGguf determinism", () => {
  it("gives byte-identical files for the same options and seed", () => {
    const a = buildSynthGguf({ preset: "tiny", seed: 7, answerLength: 5 });
    const b = buildSynthGguf({ preset: "tiny", seed: 7, answerLength: 5 });
    expect(a.equals(b)).toBe(true);
  });

  it("gives different weights for different seeds, and different files for different answer modes", () => {
    const s1 = buildSynthGguf({ preset: "tiny", seed: 1 });
    const s2 = buildSynthGguf({ preset: "tiny", seed: 2 });
    const big = buildSynthGguf({ preset: "tiny", seed: 2 ** 40 + 1 });
    expect(s1.length).toBe(s2.length);
    expect(s1.equals(s2)).toBe(false);
    expect(s1.equals(big)).toBe(false);
    // Different in the tensor data, not only in the seed recorded in the metadata.
    const dataStart = s1.length - 100_000;
    expect(s1.subarray(dataStart).equals(s2.subarray(dataStart))).toBe(false);
    expect(buildSynthGguf({ preset: "tiny", seed: 1, alwaysEmpty: true }).equals(s1)).toBe(false);
  });

  it("rejects contradictory or impossible options", () => {
    expect(() => buildSynthGguf({ answerLength: 3, alwaysEmpty: true })).toThrow(/always-empty/);
    expect(() => buildSynthGguf({ preset: "tiny", answerLength: maxAnswerLength("tiny") + 1 })).toThrow(/at most/);
    expect(() => buildSynthGguf({ seed: -1 })).toThrow();
  });
});

describe("synthModel + inspectModel per preset", () => {
  const cases = [
    { preset: "tiny", arch: "llama", quant: "Q8_0", ctx: 2048, embd: 64, blocks: 2, vocab: 512, cls: false },
    { preset: "reranker", arch: "qwen3", quant: "Q8_0", ctx: 512, embd: 64, blocks: 2, vocab: 512, cls: true },
  ] as const;
  for (const c of cases) {
    it(`writes a ${c.preset} model that inspects as ${c.arch} ${c.quant}`, async () => {
      const out = join(dir, `${c.preset}.gguf`);
      const res = await synthModel({ out, preset: c.preset, seed: 3 });
      const bytes = await readFile(out);
      expect(res).toEqual({ path: out, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
      const info = await inspectModel(out, { expectedSha256: res.sha256.toUpperCase() });
      expect(info).toMatchObject({
        architecture: c.arch,
        name: `synthetic-${c.preset}-chatml`,
        quantization: c.quant,
        fileType: "MOSTLY_Q8_0",
        contextLength: c.ctx,
        embeddingLength: c.embd,
        blockCount: c.blocks,
        vocabSize: c.vocab,
        fileBytes: bytes.length,
        sha256: res.sha256,
        ggufVersion: 3,
        chatTemplate: true,
        hasClassifierHead: c.cls,
        synthetic: { preset: c.preset, seed: 3, answerLength: null },
      });
      expect(info.parameterCount).toBeGreaterThan(100_000);
      expect(info.parameterCount).toBeLessThan(200_000);
    });
  }

  it("writes the bench preset: 32k vocabulary, 8 blocks, about 60 MB at Q8_0, in seconds", async () => {
    const out = join(dir, "bench.gguf");
    const started = performance.now();
    const res = await synthModel({ out, preset: "bench", answerLength: 64 });
    const elapsed = performance.now() - started;
    const info = await inspectModel(out);
    expect(info).toMatchObject({ architecture: "llama", vocabSize: 32000, embeddingLength: 512, blockCount: 8, quantization: "Q8_0", contextLength: 4096 });
    expect(info.sha256).toBe(res.sha256);
    expect(res.bytes).toBeGreaterThan(55e6);
    expect(res.bytes).toBeLessThan(70e6);
    expect(elapsed).toBeLessThan(15_000);
  });

  it("honours --quant and --context-length; norms stay F32", async () => {
    for (const [quant, type, fileType] of [
      ["f32", "F32", "ALL_F32"],
      ["f16", "F16", "MOSTLY_F16"],
    ] as const) {
      const out = join(dir, `tiny-${quant}.gguf`);
      await synthModel({ out, quant, contextLength: 777 });
      const info = await inspectModel(out);
      expect(info.quantization).toBe(type);
      expect(info.fileType).toBe(fileType);
      expect(info.contextLength).toBe(777);
      const h = await readGgufHeader(out);
      expect(h.tensors.find((t) => t.name === "token_embd.weight")!.typeName).toBe(type);
      expect(h.tensors.find((t) => t.name === "output_norm.weight")!.typeName).toBe("F32");
    }
  });

  it("keeps the residual stream's token dimensions untouched: block outputs write only context dimensions", async () => {
    const out = join(dir, "tiny-f32-blocks.gguf");
    await synthModel({ out, quant: "f32" });
    // attn_output is [n_embd_in, n_embd_out]: one row of 64 inputs per output dim.
    const wo = await tensorValues(out, "blk.0.attn_output.weight");
    const down = await tensorValues(out, "blk.1.ffn_down.weight");
    const rowNorm = (w: Float32Array, width: number, row: number) => Math.hypot(...w.subarray(row * width, (row + 1) * width));
    for (let d = 0; d < 48; d++) {
      expect(rowNorm(wo, 64, d)).toBe(0);
      expect(rowNorm(down, 128, d)).toBe(0);
    }
    expect(rowNorm(wo, 64, 60)).toBeGreaterThan(0);
    expect(rowNorm(down, 128, 60)).toBeGreaterThan(0);
  });
});

describe("aq models synth", () => {
  it("prints a JSON summary through modelsCommand", async () => {
    const io = captureIo();
    const out = join(dir, "cmd.gguf");
    const code = await modelsCommand(["synth", "--out", out, "--seed", "9", "--answer-length", "4"], io);
    expect(code).toBe(0);
    const summary = JSON.parse(io.stdout.join(""));
    expect(summary).toMatchObject({ path: out, preset: "tiny", quant: "q8_0", seed: 9, answerLength: 4 });
    expect(summary.sha256).toBe((await inspectModel(out)).sha256);
  });

  it("writes the chat template asked for: plain ChatML by default (the same bytes as --template chatml), or ChatML with tool calls", async () => {
    const [plain, explicit, tools] = ["plain", "explicit", "tools"].map((n) => join(dir, `tpl-${n}.gguf`));
    expect(await modelsCommand(["synth", "--out", plain], captureIo())).toBe(0);
    expect(await modelsCommand(["synth", "--out", explicit, "--template", "chatml"], captureIo())).toBe(0);
    const io = captureIo();
    expect(await modelsCommand(["synth", "--out", tools, "--template", "chatml-tools"], io)).toBe(0);
    expect(JSON.parse(io.stdout.join(""))).toMatchObject({ template: "chatml-tools" });
    const sha = async (p: string) => createHash("sha256").update(await readFile(p)).digest("hex");
    expect(await sha(explicit)).toBe(await sha(plain));
    const meta = async (p: string) => (await readGgufHeader(p)).metadata;
    expect((await meta(plain)).get("tokenizer.chat_template")).not.toContain("tool_call");
    expect((await meta(tools)).get("tokenizer.chat_template")).toContain("<tool_call>");
    expect((await meta(tools)).get("general.name")).toBe("synthetic-tiny-tools");
    await expect(modelsCommand(["synth", "--out", tools, "--template", "qwen"], captureIo())).rejects.toThrow(/--template/);
  });

  it("names the bad flag in a UsageError", async () => {
    const run = (...args: string[]) => modelsCommand(["synth", "--out", join(dir, "bad.gguf"), ...args], captureIo());
    await expect(run("--answer-length", "3", "--always-empty")).rejects.toThrow(/--answer-length: cannot be combined/);
    await expect(run("--preset", "huge")).rejects.toThrow(/--preset/);
    await expect(run("--seed", "1.5")).rejects.toThrow(/--seed/);
    await expect(run("--quant", "q4_0")).rejects.toThrow(/--quant/);
    await expect(run("--context-length", "abc")).rejects.toThrow(/--context-length/);
    await expect(modelsCommand(["synth"], captureIo())).rejects.toThrow(/--out/);
    await expect(modelsCommand(["frobnicate"], captureIo())).rejects.toBeInstanceOf(UsageError);
  });

  it("runs as the real CLI: exit 0 with JSON on stdout, exit 2 on bad flags", async () => {
    const out = join(dir, "cli.gguf");
    const [ok, bad, conflict] = await Promise.all([
      runAq(["models", "synth", "--out", out, "--preset", "reranker"]),
      runAq(["models", "synth", "--out", out, "--quant", "q2"]),
      runAq(["models", "synth", "--out", out, "--always-empty", "--answer-length", "2"]),
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ path: out, preset: "reranker", quant: "q8_0" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--quant/);
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toMatch(/--answer-length/);
  });
});
