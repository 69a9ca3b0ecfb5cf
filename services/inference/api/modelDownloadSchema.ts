import { z } from "zod";

/**
 * A configured model file that is not there yet, as GET /status reports it
 * while ai-model-download fetches it (from the progress file the downloader
 * writes): `waiting` until the downloader lists the model, then `queued`,
 * `downloading`, `verifying`; `failed` when the download will be retried and
 * `refused` when it will not (the registry entry needs fixing).
 */
export const modelDownloadSchema = z.object({
  state: z.enum(["waiting", "queued", "downloading", "verifying", "installed", "failed", "refused"]),
  bytes_done: z.number().int().min(0),
  /** null while the size is unknown. */
  bytes_total: z.number().int().min(0).nullable(),
  error: z.string().nullable(),
});

export type ModelDownload = z.infer<typeof modelDownloadSchema>;

/** Percent of a download done (0 while the size is unknown; 100 once verifying). */
export function downloadPercent(d: ModelDownload): number {
  if (d.state === "verifying" || d.state === "installed") return 100;
  if (!d.bytes_total) return 0;
  return Math.min(100, Math.floor((d.bytes_done / d.bytes_total) * 100));
}

/**
 * The chat model's capabilities, facts of the model from the registry
 * (lib/models.json `json_schema` and `tools`, rendered into the inference
 * config) combined with what the loaded chat template supports. The router
 * reads them: a request the local model cannot serve goes to the remote.
 */
export const modelCapabilitiesSchema = z.object({
  /** response_format json_object / json_schema (llama.cpp grammars). */
  structuredOutput: z.boolean(),
  /** `tools` / function calling. */
  toolCalling: z.boolean(),
});

export type ModelCapabilities = z.infer<typeof modelCapabilitiesSchema>;
