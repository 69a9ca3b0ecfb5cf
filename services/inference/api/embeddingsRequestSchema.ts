import { z } from "zod";

const tokenArray = z.array(z.number().int()).min(1);

/**
 * Why token-array input is refused: the ids would be read with this model's
 * vocabulary, and clients that send them (LangChain's OpenAIEmbeddings
 * tokenises with tiktoken unless `check_embedding_ctx_length` is false)
 * count them with another model's, so the vector would silently be of other text.
 */
export const tokenInputRefusal =
  "token-array input is not supported: send the text instead (token ids from another tokenizer would embed other text); LangChain: set check_embedding_ctx_length to false";

/**
 * POST /v1/embeddings, OpenAI-compatible: one text or several (at most the
 * server's maxInputsPerRequest). `encoding_format` is `float` (default) or
 * `base64` (little-endian float32, what the official SDKs ask for);
 * `dimensions` must be the model's own size (our models cannot shorten
 * their vectors), otherwise a 400 names it.
 */
export const embeddingsRequestSchema = z
  .object({
    model: z.string().optional(),
    input: z.union([z.string(), z.array(z.string()).min(1, "input must not be an empty array"), tokenArray, z.array(tokenArray).min(1)]),
    encoding_format: z.enum(["float", "base64"]).optional(),
    dimensions: z.number().int().min(1).optional(),
    user: z.string().optional(),
  })
  .superRefine((body, ctx) => {
    if (Array.isArray(body.input) && body.input.some((x) => typeof x !== "string")) {
      ctx.addIssue({ code: "custom", path: ["input"], message: tokenInputRefusal });
    }
  });

/** What a client sends; after validation `input` holds text only. */
export type EmbeddingsRequest = Omit<z.infer<typeof embeddingsRequestSchema>, "input"> & { input: string | string[] };
