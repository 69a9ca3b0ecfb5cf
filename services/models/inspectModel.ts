import { stat } from "node:fs/promises";
import { UsageError } from "../shared/UsageError.js";
import { llamaFileTypeName } from "./gguf/llamaFileTypeName.js";
import { readGgufHeader, type GgufMetadataValue } from "./gguf/readGgufHeader.js";
import { ModelVerificationError } from "./ModelVerificationError.js";
import { sha256File } from "./sha256File.js";

export interface ModelInfo {
  path: string;
  architecture: string;
  name: string | null;
  parameterCount: number;
  /** Quantization in short form: "Q8_0", "F32", "Q4_K_M"; from general.file_type, else the dominant tensor type. */
  quantization: string;
  /** general.file_type by its llama.cpp name ("MOSTLY_Q4_K_M"), null when the file does not say. */
  fileType: string | null;
  contextLength: number | null;
  embeddingLength: number | null;
  blockCount: number | null;
  vocabSize: number | null;
  tensorCount: number;
  /** Tensors per ggml type, e.g. { F32: 5, Q8_0: 14 }. */
  tensorTypes: Record<string, number>;
  fileBytes: number;
  /** Bytes before the tensor data: header, metadata, tensor infos, padding. */
  metadataBytes: number;
  sha256: string;
  ggufVersion: number;
  chatTemplate: boolean;
  hasClassifierHead: boolean;
  /** Set for files written by `aq models synth`. */
  synthetic: { preset: string; seed: number; answerLength: number | null } | null;
}

export interface InspectOptions {
  /** Refuse (sha256_mismatch) unless the file hashes to this; hex, any case. */
  expectedSha256?: string;
}

const asNumber = (v: GgufMetadataValue | undefined): number | null => (typeof v === "number" ? v : null);
const asString = (v: GgufMetadataValue | undefined): string | null => (typeof v === "string" ? v : null);

/**
 * Checks a model file and describes it: reads and validates the GGUF header
 * (readGgufHeader: magic, version, bounds, tensor data extent, pickle
 * payloads), then streams the whole file through sha256 and compares it with
 * the expected digest. Throws ModelVerificationError on any refusal.
 */
export async function inspectModel(path: string, opts: InspectOptions = {}): Promise<ModelInfo> {
  const expected = opts.expectedSha256?.trim().toLowerCase();
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) {
    throw new UsageError(`expected sha256 must be 64 hex characters, got ${JSON.stringify(opts.expectedSha256)}`);
  }
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read model file ${path}: ${err.code ?? err.message}`);
  });
  if (!st.isFile()) throw new UsageError(`model file ${path} is not a regular file`);

  const header = await readGgufHeader(path);
  const meta = header.metadata;
  const architecture = asString(meta.get("general.architecture"));
  if (!architecture) throw new ModelVerificationError("malformed", path, "general.architecture is missing");

  const sha256 = await sha256File(path);
  if (expected !== undefined && sha256 !== expected) {
    throw new ModelVerificationError("sha256_mismatch", path, `sha256 is ${sha256}, expected ${expected}`);
  }

  const tensorTypes: Record<string, number> = {};
  const bytesByType = new Map<string, number>();
  let parameterCount = 0;
  for (const t of header.tensors) {
    tensorTypes[t.typeName] = (tensorTypes[t.typeName] ?? 0) + 1;
    if (t.dims.length >= 2) bytesByType.set(t.typeName, (bytesByType.get(t.typeName) ?? 0) + t.bytes);
    parameterCount += t.elements;
  }
  const fileTypeId = asNumber(meta.get("general.file_type"));
  const fileType = fileTypeId === null ? null : llamaFileTypeName(fileTypeId);
  const dominant = [...bytesByType].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "unknown";
  const tokens = meta.get("tokenizer.ggml.tokens");
  const synthPreset = asString(meta.get("aq.synth.preset"));
  const answerLength = asNumber(meta.get("aq.synth.answer_length"));

  return {
    path,
    architecture,
    name: asString(meta.get("general.name")),
    parameterCount,
    quantization: fileType ? fileType.replace(/^(MOSTLY|ALL)_/, "") : dominant,
    fileType,
    contextLength: asNumber(meta.get(`${architecture}.context_length`)),
    embeddingLength: asNumber(meta.get(`${architecture}.embedding_length`)),
    blockCount: asNumber(meta.get(`${architecture}.block_count`)),
    vocabSize: asNumber(meta.get(`${architecture}.vocab_size`)) ?? (Array.isArray(tokens) ? tokens.length : null),
    tensorCount: header.tensors.length,
    tensorTypes,
    fileBytes: header.fileBytes,
    metadataBytes: header.dataOffset,
    sha256,
    ggufVersion: header.version,
    chatTemplate: typeof meta.get("tokenizer.chat_template") === "string",
    hasClassifierHead: header.tensors.some((t) => t.name === "cls.output.weight" || t.name === "cls.weight"),
    synthetic:
      synthPreset === null
        ? null
        : {
            preset: synthPreset,
            seed: asNumber(meta.get("aq.synth.seed")) ?? 0,
            answerLength: answerLength === null || answerLength < 0 ? null : answerLength,
          },
  };
}
