/**
 * Token estimate used for context budgets: 3 characters per token. Real
 * tokenizers average 3.5–4.5 characters per token on English and code, so
 * the estimate errs towards fitting (the same rule aidb uses over HTTP).
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3);
}
