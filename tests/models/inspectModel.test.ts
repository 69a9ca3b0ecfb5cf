import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelsCommand } from "../../services/cli/commands/modelsCommand.js";
import type { CommandIo } from "../../services/cli/CommandIo.js";
import { buildSynthGguf } from "../../services/models/buildSynthGguf.js";
import { readGgufHeader } from "../../services/models/gguf/readGgufHeader.js";
import { inspectModel } from "../../services/models/inspectModel.js";
import { ModelVerificationError, type ModelVerificationCode } from "../../services/models/ModelVerificationError.js";
import { sha256File } from "../../services/models/sha256File.js";
import { UsageError } from "../../services/shared/UsageError.js";
import { runAq } from "../helpers/spawnAq.js";

let dir: string;
let good: Buffer;
let goodPath: string;
let dataOffset: number;
let metadataEnd: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aq-inspect-"));
  good = buildSynthGguf({ preset: "tiny", seed: 5 });
  goodPath = await put("good.gguf", good);
  const h = await readGgufHeader(goodPath);
  dataOffset = h.dataOffset;
  metadataEnd = h.metadataEnd;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

/** A copy of the good file with `patch` applied. */
function variant(patch: (b: Buffer) => Buffer | void): Buffer {
  const copy = Buffer.from(good);
  return patch(copy) ?? copy;
}

async function refusal(bytes: Buffer, opts: { expectedSha256?: string } = {}): Promise<ModelVerificationError> {
  const path = await put(`case-${Math.random().toString(36).slice(2)}.gguf`, bytes);
  const err = await inspectModel(path, opts).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelVerificationError);
  return err as ModelVerificationError;
}

async function expectRefused(bytes: Buffer, code: ModelVerificationCode, message?: RegExp): Promise<void> {
  const err = await refusal(bytes);
  expect(err.code).toBe(code);
  expect(err).toBeInstanceOf(UsageError);
  expect(err.exitCode).toBe(2);
  if (message) expect(err.message).toMatch(message);
}

/** Overwrites the first bytes of a string found in the metadata. */
function overwrite(b: Buffer, find: string, replacement: Buffer): void {
  const at = b.indexOf(find, 0, "utf8");
  expect(at).toBeGreaterThan(0);
  expect(at).toBeLessThan(metadataEnd);
  replacement.copy(b, at);
}

describe("inspectModel accepts", () => {
  it("a synthetic model, and a GGUF v2 file", async () => {
    const info = await inspectModel(goodPath);
    expect(info.sha256).toBe(await sha256File(goodPath));
    const v2 = variant((b) => void b.writeUInt32LE(2, 4));
    const path = await put("v2.gguf", v2);
    expect((await inspectModel(path)).ggufVersion).toBe(2);
  });

  it("the metadata of every preset and answer mode without a pickle false positive", async () => {
    for (const spec of [
      { preset: "reranker" as const, seed: 11 },
      { preset: "tiny" as const, seed: 12, quant: "f16" as const, answerLength: 40 },
      { preset: "tiny" as const, seed: 13, alwaysEmpty: true },
    ]) {
      const path = await put(`ok-${spec.seed}.gguf`, buildSynthGguf(spec));
      await expect(inspectModel(path)).resolves.toMatchObject({ ggufVersion: 3 });
    }
  });

  it("a correct expected sha256 in any case", async () => {
    const sha = await sha256File(goodPath);
    await expect(inspectModel(goodPath, { expectedSha256: sha.toUpperCase() })).resolves.toMatchObject({ sha256: sha });
  });
});

describe("inspectModel refuses", () => {
  it("bad magic (not_gguf), including a bare pickle file", async () => {
    await expectRefused(variant((b) => void b.write("GGUG", 0, "latin1")), "not_gguf", /no GGUF magic/);
    await expectRefused(Buffer.from("\x80\x02}q\x00(X\x04\x00\x00\x00dataq\x01.", "latin1"), "not_gguf");
    await expectRefused(Buffer.alloc(0), "not_gguf");
  });

  it("versions other than 2 and 3 (unsupported_version)", async () => {
    for (const v of [1, 4, 0x03000000]) {
      await expectRefused(variant((b) => void b.writeUInt32LE(v, 4)), "unsupported_version", new RegExp(`version ${v}`));
    }
  });

  it("files cut short anywhere: header, metadata, tensor infos, padding, tensor data (truncated)", async () => {
    const tokensKey = good.indexOf("tokenizer.ggml.tokens", 0, "latin1");
    const cuts = {
      "inside the counts": 12,
      "inside a metadata key": 30,
      "inside the token list": tokensKey + 2000,
      "inside the tensor infos": metadataEnd - 10,
      "inside the padding": metadataEnd + Math.min(3, dataOffset - metadataEnd - 1),
      "at the start of the data": dataOffset,
      "inside the tensor data": Math.floor((dataOffset + good.length) / 2),
      "one byte short": good.length - 1,
    };
    for (const [where, length] of Object.entries(cuts)) {
      const err = await refusal(good.subarray(0, length));
      expect([where, err.code]).toEqual([where, "truncated"]);
    }
  });

  it("counts and lengths that claim more than the file holds, without allocating them (truncated)", async () => {
    await expectRefused(variant((b) => void b.writeBigUInt64LE(1n << 60n, 16)), "truncated", /metadata count/); // KV count
    await expectRefused(variant((b) => void b.writeBigUInt64LE(1n << 40n, 8)), "truncated", /tensor count/); // tensor count
    await expectRefused(variant((b) => void b.writeBigUInt64LE(0xffffffffffffffffn, 24)), "truncated", /length of metadata key/); // first key length
    // The token array's element count sits right after its key, type tags and element type.
    const countAt = good.indexOf("tokenizer.ggml.tokens", 0, "latin1") + "tokenizer.ggml.tokens".length + 8;
    expect(good.readBigUInt64LE(countAt)).toBe(512n);
    await expectRefused(variant((b) => void b.writeBigUInt64LE(1n << 50n, countAt)), "truncated", /array length of tokenizer.ggml.tokens/);
  });

  it("inconsistent structure (malformed)", async () => {
    // Unknown value type for the first KV pair.
    const typeAt = 24 + 8 + "general.architecture".length;
    expect(good.readUInt32LE(typeAt)).toBe(8);
    await expectRefused(variant((b) => void b.writeUInt32LE(99, typeAt)), "malformed", /unknown value type/);
    // The last tensor info's ggml type (just before its u64 offset).
    await expectRefused(variant((b) => void b.writeUInt32LE(5, metadataEnd - 12)), "malformed", /unknown ggml type 5/);
    // A tensor offset that is not aligned.
    await expectRefused(variant((b) => void b.writeBigUInt64LE(b.readBigUInt64LE(metadataEnd - 8) + 4n, metadataEnd - 8)), "malformed", /not aligned/);
  });

  it("bytes after the last tensor beyond alignment padding (trailing_data)", async () => {
    await expectRefused(Buffer.concat([good, Buffer.alloc(4096, 7)]), "trailing_data", /4096 bytes follow/);
  });

  it("pickle streams injected into metadata strings (pickle_signature)", async () => {
    // Same length as "synthetic-tiny", so the file stays structurally valid.
    const proto2 = Buffer.from("\x80\x02}q\x00(X\x03\x00\x00\x00abc", "latin1");
    expect(proto2.length).toBe("synthetic-tiny".length);
    await expectRefused(variant((b) => overwrite(b, "synthetic-tiny", proto2)), "pickle_signature", /general\.name/);
    const proto4 = Buffer.from("\x80\x04\x95\x0b\x00", "latin1");
    await expectRefused(variant((b) => overwrite(b, "\u2581the", proto4)), "pickle_signature", /tokenizer\.ggml\.tokens\[\d+\]/);
    await expectRefused(variant((b) => overwrite(b, "{% for message", Buffer.from("\x80\x03c", "latin1"))), "pickle_signature", /chat_template/);
  });

  it("a file whose sha256 differs from the expected one (sha256_mismatch)", async () => {
    const err = await refusal(good, { expectedSha256: "ab".repeat(32) });
    expect(err.code).toBe("sha256_mismatch");
    expect(err.message).toContain("ab".repeat(32));
    await expect(inspectModel(goodPath, { expectedSha256: "xyz" })).rejects.toThrow(/64 hex/);
  });
});

describe("aq models inspect", () => {
  function captureIo(): CommandIo & { stdout: string[] } {
    const stdout: string[] = [];
    return { stdout, out: (t) => void stdout.push(t), err: () => {} };
  }

  it("prints an aligned table, or JSON with --json", async () => {
    const table = captureIo();
    expect(await modelsCommand(["inspect", goodPath], table)).toBe(0);
    const lines = table.stdout.join("").split("\n");
    expect(lines.find((l) => l.startsWith("architecture"))).toMatch(/^architecture\s+llama$/);
    const valueColumn = new Set(lines.map((l) => l.search(/(?<=\S\s\s+)\S/)));
    expect(valueColumn.size).toBe(1);
    const json = captureIo();
    expect(await modelsCommand(["inspect", goodPath, "--json"], json)).toBe(0);
    expect(JSON.parse(json.stdout.join(""))).toMatchObject({ architecture: "llama", vocabSize: 512, quantization: "Q8_0" });
  });

  it("rejects a malformed --sha256 and a missing file argument", async () => {
    await expect(modelsCommand(["inspect", goodPath, "--sha256", "123"], captureIo())).rejects.toThrow(/--sha256/);
    await expect(modelsCommand(["inspect"], captureIo())).rejects.toThrow(/exactly one/);
  });

  it("exits 2 with the reason on stderr through the real CLI", async () => {
    const truncated = await put("cli-truncated.gguf", good.subarray(0, dataOffset + 100));
    const sha = await sha256File(goodPath);
    const [ok, cut, mismatch] = await Promise.all([
      runAq(["models", "inspect", goodPath, "--json", "--sha256", sha]),
      runAq(["models", "inspect", truncated]),
      runAq(["models", "inspect", goodPath, "--sha256", "0".repeat(64)]),
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).sha256).toBe(sha);
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/truncated/);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/sha256_mismatch/);
  });
});
