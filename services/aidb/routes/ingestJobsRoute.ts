import type { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import { HttpError } from "../../shared/http/HttpError.js";
import type { AidbRuntime } from "../AidbRuntime.js";
import { createJobSchema, jobIdParams, jobsQuerySchema, type JobItem } from "../api/ingestJobsContract.js";
import { cleanJson, cleanText } from "../ingest/cleanText.js";

/**
 * POST /ingest/jobs (202: ingested in the background, resumable),
 * GET /ingest/jobs, GET /ingest/jobs/:id. The documents are cleaned
 * (sanitised, secrets redacted) before they are queued, so no secret waits
 * in a column; the same limits as POST /documents apply to each.
 */
export async function ingestJobsRoute(app: KernelApp, { runtime }: { runtime: AidbRuntime }) {
  const { config } = runtime;

  app.post("/ingest/jobs", { schema: { body: createJobSchema } }, async (request, reply) => {
    const { label, items } = request.body as z.infer<typeof createJobSchema>;
    items.forEach((item, index) => {
      const bytes = Buffer.byteLength(item.document.text, "utf8");
      if (bytes > config.maxDocumentBytes) {
        runtime.metrics.rejected.inc({ reason: "document_too_large" });
        throw new HttpError(400, "document_too_large", `item ${index} is ${bytes} bytes; the limit is ${config.maxDocumentBytes}`, {
          index,
          bytes,
          limit: config.maxDocumentBytes,
          fields: [{ path: `body.items[${index}].document.text`, message: `at most ${config.maxDocumentBytes} bytes` }],
        });
      }
    });
    const cleaned: JobItem[] = items.map((item) => {
      const counts = { removed: 0, redactions: 0 };
      const body = cleanText(item.document.text);
      counts.redactions += body.redactions;
      const d = item.document;
      const document = {
        ...d,
        text: body.text,
        ...(d.title !== undefined && { title: cleanJson(d.title, counts) as string }),
        ...(d.source !== undefined && { source: cleanJson(d.source, counts) as string }),
        metadata: cleanJson(d.metadata, counts) as Record<string, unknown>,
      };
      runtime.metrics.redactions.inc(counts.redactions);
      return { ...item, document };
    });
    const job = await runtime.jobs.create(label, cleaned);
    runtime.jobRunner.wake();
    request.log.info({ event: "ingest_job_created", job_id: job.id, label, total: job.total }, "ingest job queued");
    return reply.code(202).send(job);
  });

  app.get("/ingest/jobs", { schema: { querystring: jobsQuerySchema } }, async (request) => {
    const { limit } = request.query as z.infer<typeof jobsQuerySchema>;
    return { jobs: await runtime.jobs.list(limit) };
  });

  app.get("/ingest/jobs/:id", { schema: { params: jobIdParams } }, async (request) => {
    const { id } = request.params as z.infer<typeof jobIdParams>;
    const job = await runtime.jobs.get(id);
    if (!job) throw new HttpError(404, "not_found", `no ingest job ${id}`);
    return job;
  });
}
