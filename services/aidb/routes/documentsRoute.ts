import { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import { HttpError } from "../../shared/http/HttpError.js";
import type { AidbRuntime } from "../AidbRuntime.js";
import { documentFeedbackSchema, documentInputSchema, ingestBatchSchema, type DocumentInput } from "../api/documentsContract.js";
import { ingestDocuments, type IngestFailure } from "../ingest/ingestDocuments.js";
import { ingestRetryPolicy } from "../ingest/ingestItems.js";
import { idParams, queryInt } from "../../shared/http/queryFields.js";

/** POST/GET /documents, GET/DELETE /documents/:id, POST /documents/:id/feedback. */
export async function documentsRoute(app: KernelApp, { runtime }: { runtime: AidbRuntime }) {
  const { config } = runtime;

  app.post("/documents", { schema: { body: z.record(z.string(), z.unknown()) } }, async (request) => {
    const body = request.body as Record<string, unknown>;
    let docs: DocumentInput[];
    if ("documents" in body) {
      const count = Array.isArray(body.documents) ? body.documents.length : 0;
      if (count > config.maxBatchDocuments) {
        runtime.metrics.rejected.inc({ reason: "too_many_documents" });
        throw new HttpError(400, "too_many_documents", `documents has ${count} entries; the limit is ${config.maxBatchDocuments}`, {
          fields: [{ path: "body.documents", message: `at most ${config.maxBatchDocuments} documents` }],
          limit: config.maxBatchDocuments,
        });
      }
      docs = ingestBatchSchema.parse(body).documents;
    } else {
      docs = [documentInputSchema.parse(body)];
    }
    docs.forEach((d, index) => {
      const bytes = Buffer.byteLength(d.text, "utf8");
      if (bytes > config.maxDocumentBytes) {
        runtime.metrics.rejected.inc({ reason: "document_too_large" });
        throw new HttpError(400, "document_too_large", `document ${index} is ${bytes} bytes; the limit is ${config.maxDocumentBytes}`, {
          index,
          bytes,
          limit: config.maxDocumentBytes,
          fields: [{ path: "documents" in body ? `body.documents[${index}].text` : "body.text", message: `at most ${config.maxDocumentBytes} bytes` }],
        });
      }
    });
    const failures: IngestFailure[] = [];
    const results = await ingestDocuments(
      {
        repo: runtime.documents,
        embedder: runtime.embedder,
        logger: request.log as never,
        metrics: runtime.metrics,
        chunkTokens: config.chunkTokens,
        chunkOverlapTokens: config.chunkOverlapTokens,
        injectionThreshold: config.injectionThreshold,
        retry: ingestRetryPolicy(config),
        onFailed: (f) => failures.push(f),
      },
      docs,
    );
    // Documents that failed after their retries wait in the dead-letter queue (cleaned) for `aq dlq retry`.
    if (failures.length > 0) {
      try {
        const ids = await runtime.deadLetters.add(failures.map((f) => ({ item: { document: f.document }, stage: f.stage, error: f.error, attempts: f.attempts })));
        runtime.metrics.deadLettered.inc(ids.length);
        failures.forEach((f, k) => {
          results[f.index]!.dead_letter_id = ids[k];
          request.log.error({ event: "ingest_dead_lettered", index: f.index, dead_letter_id: ids[k], stage: f.stage, attempts: f.attempts, error: f.error }, "document dead-lettered");
        });
      } catch (err) {
        request.log.error({ event: "dead_letter_failed", documents: failures.length, err }, "could not dead-letter the failed documents");
      }
    }
    // A stored document changes what its project's searches return: bump the
    // semantic-cache stamps before answering (never fails the request).
    const changed = new Set(results.filter((r) => r.status === "stored").map((r) => docs[r.index]!.project));
    await runtime.stamps.bumpProjects([...changed]);
    const count = (s: string) => results.filter((r) => r.status === s).length;
    return { stored: count("stored"), duplicates: count("duplicate"), failed: count("failed"), results };
  });

  app.get(
    "/documents",
    {
      schema: {
        querystring: z.object({
          project: z.string().min(1).optional(),
          search: z.string().max(500).optional(),
          limit: queryInt(1, 1000).default(50),
          offset: queryInt(0, 10_000_000).default(0),
        }),
      },
    },
    async (request) => {
      const q = request.query as { project?: string; search?: string; limit: number; offset: number };
      return runtime.documents.list(q);
    },
  );

  app.get("/documents/:id", { schema: { params: idParams } }, async (request) => {
    const { id } = request.params as { id: string };
    const doc = await runtime.documents.get(id);
    if (!doc) throw new HttpError(404, "not_found", `no document ${id}`);
    return doc;
  });

  app.delete("/documents/:id", { schema: { params: idParams } }, async (request) => {
    const { id } = request.params as { id: string };
    const project = await runtime.documents.deleteReturningProject(id);
    if (project === undefined) throw new HttpError(404, "not_found", `no document ${id}`);
    await runtime.stamps.bumpProjects([project]);
    return { deleted: true, id };
  });

  app.post("/documents/:id/feedback", { schema: { params: idParams, body: documentFeedbackSchema } }, async (request) => {
    const { id } = request.params as { id: string };
    const { rating } = request.body as z.infer<typeof documentFeedbackSchema>;
    if (!(await runtime.documents.addFeedback(id, rating))) throw new HttpError(404, "not_found", `no document ${id}`);
    return { recorded: true, id, rating };
  });
}
