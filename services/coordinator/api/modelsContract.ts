import { z } from "zod";
import { openAiModelSchema } from "../../inference/api/modelListSchema.js";

// GET /v1/models on the coordinator, and what the `model` of a chat request
// means there: the model id picks the route.

/** "Let the stack choose": retrieval, then the routing rules. Also what a request without `model` gets. */
export const routedModelId = "ai-stack";

/** The local chat model: `local/<its name>` (or `local` while its name is unknown); forces the local backend. */
export function localModelId(name?: string): string {
  return name ? `local/${name}` : "local";
}

/** The remote model: `remote/<remoteModel>`; forces the remote backend. Listed only when a remote is configured. */
export function remoteModelId(model?: string): string {
  return model ? `remote/${model}` : "remote";
}

export const modelRoutes = ["routed", "local", "remote"] as const;
export type ModelRoute = (typeof modelRoutes)[number];

/** GET /v1/models, OpenAI-compatible, with our `route` on each model. */
export const coordinatorModelListSchema = z.object({
  object: z.literal("list"),
  data: z.array(openAiModelSchema.extend({ route: z.enum(modelRoutes) })),
});

export type CoordinatorModelList = z.infer<typeof coordinatorModelListSchema>;

/**
 * The route a request's `model` asks for, or undefined for an id the
 * coordinator does not serve (a 404). `local` and `remote` always resolve;
 * `local/<name>` and `remote/<name>` only when the name is the model's (a
 * local name that is not known yet, the service being down, is taken as
 * asked: the request fails there rather than here).
 */
export function routeOfModel(id: string | undefined, known: { localName?: string; remoteModel?: string; remoteConfigured: boolean }): ModelRoute | undefined {
  if (id === undefined || id === routedModelId) return "routed";
  const [prefix, ...rest] = id.split("/");
  const name = rest.join("/");
  if (prefix === "local" && (rest.length === 0 || known.localName === undefined || name === known.localName)) return "local";
  if (prefix === "remote" && known.remoteConfigured && (rest.length === 0 || name === known.remoteModel)) return "remote";
  return undefined;
}
