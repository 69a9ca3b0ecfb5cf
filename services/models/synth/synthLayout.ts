/**
 * How synthetic models use their embedding dimensions. The residual stream
 * of every position keeps its token's embedding unchanged in the first
 * `2 + codeDims` dimensions (attention and feed-forward blocks write only
 * into the remaining "context" dimensions), so the final logits are the
 * output matrix applied to the current token's embedding, times one positive
 * RMS-norm factor that cannot change their order.
 *
 * - dim 0, bias: the constant B in every token; output rows read it as a fixed per-token logit bias.
 * - dim 1, flag: +1, or -1 for tokens of an answer chain; "any other token" is told apart by it.
 * - code dims: a random unit vector per token, times G; identifies the current token.
 * - context dims: written by attention (a running mean of token codes) for embeddings and the reranker head.
 */
export const DIM_BIAS = 0;
export const DIM_FLAG = 1;
export const CODE_START = 2;
export const BIAS_VALUE = 1;
export const CODE_NORM = 2;
/** output_norm weight of the bias and flag dims (kept small so embeddings are mostly codes). */
export const CONST_DIM_NORM_WEIGHT = 0.25;
/** Logit of the intended next token, in logit units at the nominal norm factor. */
export const STEER_LOGIT = 120;
/** Spread of logits among text pieces when answers are unbounded. */
export const WALK_LOGIT = 6;
/** Smallest accepted gap between the intended next token and any other, same units. */
export const MIN_MARGIN = 30;

/** The RMS-norm factor of a bare token embedding: sqrt(n_embd / |e|^2). */
export function nominalNormFactor(embeddingLength: number): number {
  return Math.sqrt(embeddingLength / (BIAS_VALUE ** 2 + 1 + CODE_NORM ** 2));
}
