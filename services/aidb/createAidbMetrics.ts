import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type AidbMetrics = ReturnType<typeof createAidbMetrics>;

/** aidb's own metrics, registered on the service's registry. */
export function createAidbMetrics(registry: Registry) {
  const registers = [registry];
  return {
    postgresQueryOk: new Gauge({ name: "postgres_query_ok", help: "1 when the last database probe (SELECT 1) succeeded", registers }),
    postgresLatency: new Gauge({ name: "postgres_latency_seconds", help: "Duration of the last database probe", registers }),
    documents: new Counter({
      name: "aidb_ingested_documents_total",
      help: "Documents ingested (POST /documents, ingest jobs, dead-letter retries), by outcome",
      labelNames: ["status"] as const,
      registers,
    }),
    chunks: new Counter({ name: "aidb_ingested_chunks_total", help: "Chunks stored", registers }),
    retries: new Counter({
      name: "aidb_ingest_retries_total",
      help: "Retries of a failed embedding or store during ingestion, by stage",
      labelNames: ["stage"] as const,
      registers,
    }),
    deadLettered: new Counter({ name: "aidb_dead_lettered_documents_total", help: "Documents put in the dead-letter queue after their retries", registers }),
    deadLetterDepth: new Gauge({ name: "aidb_dead_letter_depth", help: "Documents in the dead-letter queue (refreshed on each scrape)", registers }),
    jobsPending: new Gauge({ name: "aidb_ingest_jobs_pending", help: "Ingest jobs not done yet, running or waiting (refreshed on each scrape)", registers }),
    redactions: new Counter({ name: "aidb_redactions_total", help: "Secrets replaced before storing", registers }),
    quarantined: new Counter({ name: "aidb_quarantined_documents_total", help: "Documents quarantined for prompt-injection risk", registers }),
    rejected: new Counter({
      name: "aidb_ingest_rejected_total",
      help: "POST /documents requests refused before ingestion, by reason",
      labelNames: ["reason"] as const,
      registers,
    }),
    storeSeconds: new Histogram({
      name: "aidb_document_store_seconds",
      help: "Time to store one document with its chunks (one transaction)",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    searchSeconds: new Histogram({
      name: "aidb_search_duration_seconds",
      help: "GET /search duration by mode, embedding of the query included",
      labelNames: ["mode"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
  };
}
