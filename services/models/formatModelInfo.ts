import type { ModelInfo } from "./inspectModel.js";

const show = (v: unknown): string => (v === null || v === undefined ? "-" : String(v));

/** ModelInfo as an aligned two-column table for people. */
export function formatModelInfo(info: ModelInfo): string {
  const rows: Array<[string, string]> = [
    ["path", info.path],
    ["architecture", info.architecture],
    ["name", show(info.name)],
    ["parameters", info.parameterCount.toLocaleString("en-US")],
    ["quantization", info.fileType ? `${info.quantization} (${info.fileType})` : info.quantization],
    ["context length", show(info.contextLength)],
    ["embedding length", show(info.embeddingLength)],
    ["blocks", show(info.blockCount)],
    ["vocabulary", show(info.vocabSize)],
    ["tensors", `${info.tensorCount} (${Object.entries(info.tensorTypes).map(([t, n]) => `${n} ${t}`).join(", ")})`],
    ["file bytes", info.fileBytes.toLocaleString("en-US")],
    ["metadata bytes", info.metadataBytes.toLocaleString("en-US")],
    ["gguf version", String(info.ggufVersion)],
    ["chat template", info.chatTemplate ? "yes" : "no"],
    ["classifier head", info.hasClassifierHead ? "yes" : "no"],
  ];
  if (info.synthetic) {
    const { preset, seed, answerLength } = info.synthetic;
    rows.push(["synthetic", `preset ${preset}, seed ${seed}, answers ${answerLength === null ? "unbounded" : `${answerLength} tokens`}`]);
  }
  rows.push(["sha256", info.sha256]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}
