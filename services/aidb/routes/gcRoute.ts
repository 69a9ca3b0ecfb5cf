import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { AidbRuntime } from "../AidbRuntime.js";
import { gcRequestSchema } from "../api/documentsContract.js";

/** POST /gc {dry_run}: deletes never-accessed documents older than gcAfterDays without positive feedback. */
export async function gcRoute(app: KernelApp, { runtime }: { runtime: AidbRuntime }) {
  app.post("/gc", { schema: { body: gcRequestSchema.optional() } }, async (request) => {
    const { dry_run } = gcRequestSchema.parse(request.body ?? {});
    const collected = await runtime.documents.collectGarbageWithProjects({ olderThanDays: runtime.config.gcAfterDays, dryRun: dry_run });
    const ids = collected.map((d) => d.id);
    if (!dry_run) await runtime.stamps.bumpProjects(collected.map((d) => d.project));
    runtime.logger.info({ event: "gc", dry_run, count: ids.length }, dry_run ? "gc dry run" : "gc deleted documents");
    return { dry_run, count: ids.length, ids };
  });
}
