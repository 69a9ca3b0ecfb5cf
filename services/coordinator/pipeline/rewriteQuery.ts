import type { Logger } from "pino";
import type { CoordinatorRuntime } from "../CoordinatorRuntime.js";
import { sanitizeText } from "../../shared/text/sanitizeText.js";

/**
 * Optional stage (config `queryRewrite`, off by default): asks the local
 * model for up to `max_query_rewrites` (routing-config.json, default 3) alternative phrasings, within `queryRewriteTimeoutMs`
 * (4 s). Any failure or timeout gives no alternatives; the query goes on.
 */
export async function rewriteQuery(rt: CoordinatorRuntime, query: string, log: Logger, signal?: AbortSignal): Promise<string[]> {
  // How many: routing-config.json `max_query_rewrites` (3 unless the learning loop raised it).
  const wanted = rt.routingConfig.current().maxQueryRewrites;
  if (!rt.config.queryRewrite || wanted === 0) return [];
  const timeout = AbortSignal.timeout(rt.config.queryRewriteTimeoutMs);
  try {
    const completion = await rt.local.complete(
      {
        messages: [
          { role: "system", content: `Rewrite the user's question as ${wanted} alternative search queries, one per line, without numbering or commentary.` },
          { role: "user", content: query },
        ],
        max_tokens: 32 * wanted,
        temperature: 0.7,
      },
      signal ? AbortSignal.any([signal, timeout]) : timeout,
    );
    const text = completion.choices[0]?.message.content ?? "";
    const seen = new Set([query.trim().toLowerCase()]);
    const out: string[] = [];
    for (const line of text.split("\n")) {
      const cleaned = sanitizeText(line.replace(/^\s*(?:[-*•]|\d+[.)])\s*/, "")).text.trim().slice(0, 300);
      if (cleaned.length < 3 || seen.has(cleaned.toLowerCase())) continue;
      seen.add(cleaned.toLowerCase());
      out.push(cleaned);
      if (out.length === wanted) break;
    }
    return out;
  } catch (err) {
    log.warn({ event: "query_rewrite_skipped", reason: (err as Error).message }, "query rewriting failed or timed out; using the query as is");
    return [];
  }
}
