import { decodeTensorData } from "../gguf/decodeTensorData.js";
import { encodeTensorData } from "../gguf/encodeTensorData.js";
import type { WritableGgmlType } from "../gguf/ggmlTypes.js";
import { SeededRng } from "./SeededRng.js";
import {
  BIAS_VALUE,
  CODE_NORM,
  CODE_START,
  CONST_DIM_NORM_WEIGHT,
  DIM_BIAS,
  DIM_FLAG,
  MIN_MARGIN,
  STEER_LOGIT,
  WALK_LOGIT,
  nominalNormFactor,
} from "./synthLayout.js";
import type { SynthVocabulary } from "./synthVocabulary.js";

export interface SteeringHead {
  /** token_embd rows, vocab x n_embd. */
  tokenEmbd: Float32Array;
  /** output rows, vocab x n_embd. */
  output: Float32Array;
  /** output_norm weights. */
  outputNorm: Float32Array;
  /** The answer's tokens in order, then the end-of-turn token; empty when answers are unbounded. */
  chain: number[];
  /** Smallest gap (logits, nominal norm) between the intended next token and the runner-up, over the checked tokens. */
  minMargin: number;
}

interface HeadShape {
  vocabSize: number;
  embeddingLength: number;
  codeDims: number;
}

/** Rounds values through the file's encoding, so checks see what llama.cpp will see. */
function roundTrip(row: Float32Array, type: WritableGgmlType): Float32Array {
  const buf = Buffer.alloc(row.length * 4);
  encodeTensorData(row, type, buf, 0);
  return decodeTensorData(buf, 0, row.length, type);
}

/**
 * Builds the embedding and output matrices that decide what a synthetic model
 * generates. The next token depends only on the current one:
 *
 * - answerLength null: a random walk over whole words (logits spread over
 *   +-WALK_LOGIT); control and byte tokens, end of turn included, sit at
 *   -STEER_LOGIT, so generation never ends by itself.
 * - answerLength N: a chain c1..cN of distinct text pieces, then `<|im_end|>`.
 *   Any token that is not c1..cN predicts c1 (read from the flag dim), c_k
 *   predicts c_{k+1} (its output row is c_k's code), cN predicts end of turn.
 *   N = 0 makes every token predict end of turn.
 *
 * The intended next token's logit leads every other by at least MIN_MARGIN
 * (checked on the quantized values; codes are redrawn otherwise).
 */
export function buildSteeringHead(
  shape: HeadShape,
  vocab: SynthVocabulary,
  answerLength: number | null,
  seed: number,
  type: WritableGgmlType,
): SteeringHead {
  for (let attempt = 0; attempt < 8; attempt++) {
    const head = tryBuild(shape, vocab, answerLength, seed, type, attempt);
    if (head.minMargin >= MIN_MARGIN) return head;
  }
  throw new Error("could not draw token codes with a safe logit margin");
}

function tryBuild(
  { vocabSize: V, embeddingLength: E, codeDims: D }: HeadShape,
  vocab: SynthVocabulary,
  answerLength: number | null,
  seed: number,
  type: WritableGgmlType,
  attempt: number,
): SteeringHead {
  const rng = new SeededRng(seed, `token-codes/${attempt}`);
  const codes: Float64Array[] = [];
  for (let t = 0; t < V; t++) codes.push(rng.unitVector(D));

  const chain: number[] = [];
  if (answerLength !== null) {
    const pick = new SeededRng(seed, "answer-chain");
    const words = pick.shuffle([...vocab.wordPieces]);
    const wordSet = new Set(words);
    const rest = pick.shuffle(vocab.textPieces.filter((id) => !wordSet.has(id)));
    chain.push(...[...words, ...rest].slice(0, answerLength), vocab.imEnd);
    orthonormaliseChainCodes(codes, chain.slice(0, -1), D);
  }
  const inChain = new Set(chain.slice(0, -1));

  const s0 = nominalNormFactor(E);
  const tokenEmbd = new Float32Array(V * E);
  for (let t = 0; t < V; t++) {
    const row = t * E;
    tokenEmbd[row + DIM_BIAS] = BIAS_VALUE;
    tokenEmbd[row + DIM_FLAG] = inChain.has(t) ? -1 : 1;
    for (let d = 0; d < D; d++) tokenEmbd[row + CODE_START + d] = CODE_NORM * codes[t][d];
  }

  const outputNorm = new Float32Array(E).fill(1);
  outputNorm[DIM_BIAS] = CONST_DIM_NORM_WEIGHT;
  outputNorm[DIM_FLAG] = CONST_DIM_NORM_WEIGHT;

  // Output row recipes, in logit units at the nominal norm factor s0.
  const biasWeight = (logit: number) => logit / (s0 * CONST_DIM_NORM_WEIGHT * BIAS_VALUE);
  const flagWeight = (logit: number) => logit / (s0 * CONST_DIM_NORM_WEIGHT);
  const codeWeight = (logit: number) => logit / (s0 * CODE_NORM);

  const output = new Float32Array(V * E);
  const suppress = biasWeight(-STEER_LOGIT);
  if (answerLength === null) {
    const walk = new SeededRng(seed, "walk-rows");
    const pieces = new Set(walkPieces(vocab));
    for (let j = 0; j < V; j++) {
      if (!pieces.has(j)) {
        output[j * E + DIM_BIAS] = suppress;
        continue;
      }
      const v = walk.unitVector(D);
      for (let d = 0; d < D; d++) output[j * E + CODE_START + d] = codeWeight(WALK_LOGIT) * v[d];
    }
  } else {
    for (let j = 0; j < V; j++) output[j * E + DIM_BIAS] = suppress;
    output[chain[0] * E + DIM_BIAS] = 0;
    output[chain[0] * E + DIM_FLAG] = flagWeight(STEER_LOGIT);
    for (let k = 1; k < chain.length; k++) {
      const row = chain[k] * E;
      output[row + DIM_BIAS] = 0;
      const prev = codes[chain[k - 1]];
      for (let d = 0; d < D; d++) output[row + CODE_START + d] = codeWeight(STEER_LOGIT) * prev[d];
    }
  }

  const minMargin =
    answerLength === null ? walkMargin(vocab, V, E, s0, type, tokenEmbd, output, outputNorm) : chainMargin(chain, V, E, s0, type, tokenEmbd, output, outputNorm, seed);
  return { tokenEmbd, output, outputNorm, chain, minMargin };
}

/** Unbounded answers wander over whole words, so the text reads like words. */
function walkPieces(vocab: SynthVocabulary): number[] {
  return vocab.wordPieces.length >= 32 ? vocab.wordPieces : vocab.textPieces;
}

/** Gram–Schmidt on the chain tokens' codes (as far as the dimensions allow): successors then read exactly one chain token each. */
function orthonormaliseChainCodes(codes: Float64Array[], chainTokens: number[], D: number): void {
  const basis: Float64Array[] = [];
  for (const t of chainTokens) {
    if (basis.length >= D - 1) return;
    const v = codes[t];
    for (const b of basis) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += v[d] * b[d];
      for (let d = 0; d < D; d++) v[d] -= dot * b[d];
    }
    let norm = 0;
    for (let d = 0; d < D; d++) norm += v[d] * v[d];
    norm = Math.sqrt(norm);
    for (let d = 0; d < D; d++) v[d] /= norm;
    basis.push(v);
  }
}

function logitRow(x: Float32Array, w: Float32Array, s0: number): number {
  let sum = 0;
  for (let d = 0; d < x.length; d++) sum += x[d] * w[d];
  return sum * s0;
}

function normedInput(tokenEmbd: Float32Array, t: number, E: number, outputNorm: Float32Array, type: WritableGgmlType): Float32Array {
  const x = roundTrip(tokenEmbd.subarray(t * E, (t + 1) * E), type);
  for (let d = 0; d < E; d++) x[d] *= outputNorm[d];
  return x;
}

/** Answer chains: for each checked current token, the intended successor must lead all others. */
function chainMargin(
  chain: number[],
  V: number,
  E: number,
  s0: number,
  type: WritableGgmlType,
  tokenEmbd: Float32Array,
  output: Float32Array,
  outputNorm: Float32Array,
  seed: number,
): number {
  const candidates = [...new Set(chain)];
  const rows = candidates.map((j) => roundTrip(output.subarray(j * E, (j + 1) * E), type));
  const chainSet = new Set(chain);
  const others = Array.from({ length: V }, (_, j) => j).find((j) => !chainSet.has(j));
  const restRow = others === undefined ? null : roundTrip(output.subarray(others * E, (others + 1) * E), type);
  const successor = new Map<number, number>();
  for (let k = 0; k + 1 < chain.length; k++) successor.set(chain[k], chain[k + 1]);

  // Every current token when that is cheap (tiny, reranker). Otherwise, as
  // far as a fixed budget goes: the control and byte tokens (where prompts
  // end), the chain itself, then a seeded sample of the rest.
  const budget = Math.max(64, Math.floor(2e8 / (candidates.length * E)));
  let checked: number[];
  if (V <= budget) {
    checked = Array.from({ length: V }, (_, t) => t);
  } else {
    const set = new Set<number>();
    for (let t = 0; t < Math.min(V, 300); t++) set.add(t);
    for (const t of chain) set.add(t);
    const sample = new SeededRng(seed, "margin-sample");
    for (let i = 0; i < 500; i++) set.add(sample.below(V));
    checked = [...set].slice(0, budget);
  }
  let min = Number.POSITIVE_INFINITY;
  for (const t of checked) {
    const x = normedInput(tokenEmbd, t, E, outputNorm, type);
    const want = successor.get(t) ?? chain[0];
    let best = Number.NEGATIVE_INFINITY;
    let target = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < candidates.length; c++) {
      const l = logitRow(x, rows[c], s0);
      if (candidates[c] === want) target = l;
      else if (l > best) best = l;
    }
    if (restRow) best = Math.max(best, logitRow(x, restRow, s0));
    min = Math.min(min, target - best);
  }
  return min;
}

/** Unbounded answers: every text piece must lead every control/byte token by the margin. */
function walkMargin(
  vocab: SynthVocabulary,
  V: number,
  E: number,
  s0: number,
  type: WritableGgmlType,
  tokenEmbd: Float32Array,
  output: Float32Array,
  outputNorm: Float32Array,
): number {
  const pieces = new Set(walkPieces(vocab));
  const suppressed = Array.from({ length: V }, (_, j) => j).filter((j) => !pieces.has(j));
  // All suppressed rows are identical; all piece logits are bounded by WALK_LOGIT
  // (unit vectors), so one suppressed row against the bound, per current token, suffices.
  const restRow = roundTrip(output.subarray(suppressed[0] * E, (suppressed[0] + 1) * E), type);
  let min = Number.POSITIVE_INFINITY;
  for (const t of [0, vocab.bos, vocab.imEnd, vocab.textPieces[0]]) {
    const x = normedInput(tokenEmbd, t, E, outputNorm, type);
    min = Math.min(min, -WALK_LOGIT * 1.05 - logitRow(x, restRow, s0));
  }
  return min;
}
