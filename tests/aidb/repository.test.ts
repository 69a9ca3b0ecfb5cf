import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../services/aidb/db/Db.js";
import { EmbeddingMismatchError } from "../../services/aidb/db/EmbeddingMismatchError.js";
import { migrate } from "../../services/aidb/db/migrate.js";
import { latestVersion, migrations } from "../../services/aidb/db/migrations.js";
import { sessionStatements } from "../../services/aidb/db/openDb.js";
import { createDocumentRepository, type NewDocument } from "../../services/aidb/repo/createDocumentRepository.js";
import { createSearchRepository } from "../../services/aidb/repo/createSearchRepository.js";
import { createWeightsRepository } from "../../services/aidb/repo/createWeightsRepository.js";
import { drivers, missingDrivers, type TestDb } from "./helpers/testDb.js";

// The repositories are written once against the Db interface; this suite
// runs them on both drivers: PGlite in-process, `pg` over pglite-socket (a
// pool of 1), and `pg` against real PostgreSQL 15 with pgvector (a pool of 4
// with production's session settings).
const dims = 8;
let jitter = 0;
/** Mostly along axis i; a little jitter so no two stored vectors are identical. */
const unit = (i: number) => {
  jitter++;
  return Array.from({ length: dims }, (_, k) => (k === i % dims ? 1 : 0.01 * k + 0.001 * ((jitter * (k + 1)) % 97)));
};

const doc = (project: string, hash: string, texts: string[], extra: Partial<NewDocument> = {}): NewDocument => ({
  project,
  title: `title ${hash}`,
  source: null,
  sourceTrust: "imported",
  contentHash: hash,
  metadata: { hash },
  quarantine: false,
  injectionScore: 0,
  redactions: 0,
  chunks: texts.map((text, i) => ({ text, embedding: unit(i) })),
  modelFingerprint: "test:0000:8",
  ...extra,
});

for (const [name, reason] of missingDrivers) describe.skip(`repositories on the ${name} driver: ${reason}`, () => it("is skipped", () => {}));

describe.each(drivers)("repositories on the %s driver", (_name, open) => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await open();
    db = t.db;
  });
  afterAll(async () => t?.close());

  it("migrates an existing v1 database with data to the latest version without losing anything", async () => {
    const first = await migrate(db, { dimensions: dims, upTo: 1 });
    expect(first).toMatchObject({ applied: [1], version: 1, dimensions: dims });
    await db.query(
      `INSERT INTO documents (id, project, title, content_hash, chunk_count) VALUES ('00000000-0000-4000-8000-000000000001', 'old', 'kept', 'h-old', 1)`,
    );
    await db.query(
      `INSERT INTO chunks (document_id, position, text, embedding, model_fingerprint) VALUES ('00000000-0000-4000-8000-000000000001', 0, 'ancient wisdom', $1::real[]::vector, 'x')`,
      [unit(0)],
    );
    const second = await migrate(db, { dimensions: dims });
    expect(second.applied).toEqual(migrations.filter((m) => m.version > 1).map((m) => m.version));
    expect(second.version).toBe(latestVersion);
    const again = await migrate(db, { dimensions: dims });
    expect(again.applied).toEqual([]);
    const kept = await createDocumentRepository(db).get("00000000-0000-4000-8000-000000000001");
    expect(kept).toMatchObject({ project: "old", title: "kept", chunk_count: 1, positive_feedback: 0 });
    expect(kept!.chunks.map((c) => c.text)).toEqual(["ancient wisdom"]);
    const versions = await db.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
    expect(versions.rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
    for (const s of sessionStatements(64)) await db.query(s);
  });

  it("refuses an embedder of another size", async () => {
    await expect(migrate(db, { dimensions: dims + 1 })).rejects.toBeInstanceOf(EmbeddingMismatchError);
    await expect(migrate(db, { dimensions: dims + 1 })).rejects.toThrow(/8-dimensional.*gives 9/);
  });

  it("stores a document with its chunks atomically and idempotently", async () => {
    const repo = createDocumentRepository(db);
    const a = await repo.insert(doc("p", "h1", ["alpha flakes", "beta modules", "gamma options"]));
    expect(a.duplicate).toBe(false);
    const again = await repo.insert(doc("p", "h1", ["other"]));
    expect(again).toEqual({ id: a.id, duplicate: true });
    expect(await repo.findIdByHash("p", "h1")).toBe(a.id);
    expect(await repo.findIdByHash("q", "h1")).toBeUndefined();
    const other = await repo.insert(doc("q", "h1", ["alpha"]));
    expect(other.id).not.toBe(a.id);
    const got = await repo.get(a.id);
    expect(got!.chunks.map((c) => c.position)).toEqual([0, 1, 2]);
    expect(got!.last_accessed_at).toBe(got!.ingested_at);

    // A chunk that cannot be stored (wrong size) rolls the whole document back.
    const bad = doc("p", "h-bad", ["fine", "broken"]);
    bad.chunks[1].embedding = [1, 2, 3];
    await expect(repo.insert(bad)).rejects.toThrow();
    expect(await repo.findIdByHash("p", "h-bad")).toBeUndefined();
    const orphans = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM chunks c LEFT JOIN documents d ON d.id = c.document_id WHERE d.id IS NULL");
    expect(orphans.rows[0].n).toBe(0);
  });

  it("stores more chunks than one multi-row insert holds", async () => {
    const repo = createDocumentRepository(db);
    const texts = Array.from({ length: 450 }, (_, i) => `chunk number ${i}`);
    const { id } = await repo.insert(doc("big", "h-big", texts));
    const n = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM chunks WHERE document_id = $1", [id]);
    expect(n.rows[0].n).toBe(450);
    expect(await repo.delete(id)).toBe(true);
    const after = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM chunks WHERE document_id = $1", [id]);
    expect(after.rows[0].n).toBe(0);
    expect(await repo.delete(id)).toBe(false);
  });

  it("lists by project and title, records feedback, touches", async () => {
    const repo = createDocumentRepository(db);
    const listed = await repo.list({ project: "p", limit: 10, offset: 0 });
    expect(listed.total).toBe(1);
    const byTitle = await repo.list({ search: "TITLE H1", limit: 10, offset: 0 });
    expect(byTitle.total).toBe(2);
    const none = await repo.list({ search: "100%_", limit: 10, offset: 0 });
    expect(none.total).toBe(0);
    const id = listed.documents[0].id;
    expect(await repo.addFeedback(id, 1)).toBe(true);
    expect(await repo.addFeedback("00000000-0000-4000-8000-0000000000ff", 1)).toBe(false);
    expect((await repo.get(id))!.positive_feedback).toBe(1);
    await new Promise((r) => setTimeout(r, 5));
    await repo.touch([id]);
    const touched = (await repo.get(id))!;
    expect(Date.parse(touched.last_accessed_at)).toBeGreaterThan(Date.parse(touched.ingested_at));
  });

  it("finds candidates by vector and by keyword, with filters", async () => {
    const repo = createDocumentRepository(db);
    await repo.insert(doc("s", "s1", ["nix flakes pin inputs"], { sourceTrust: "generated" }));
    await repo.insert(doc("s", "s2", ["redis caches embeddings"], { quarantine: true }));
    const search = createSearchRepository(db);
    const all = { project: "s", includeGenerated: true, includeQuarantined: true };
    const strict = { project: "s", includeGenerated: false, includeQuarantined: false };
    expect((await search.vectorCandidates(unit(0), "flakes", all, 10)).length).toBe(2);
    expect(await search.vectorCandidates(unit(0), "flakes", strict, 10)).toEqual([]);
    const kw = await search.keywordCandidates("flake", unit(0), all, 10);
    expect(kw).toHaveLength(1);
    expect(kw[0].rank).toBeGreaterThan(0);
    expect(kw[0].distance).toBeLessThan(0.05);
    expect(await search.keywordCandidates("flake", null, { ...all, includeGenerated: false }, 10)).toEqual([]);
    // Identical vectors in numbers degrade HNSW graphs; the exact fallback still finds them.
    for (let i = 0; i < 60; i++) await repo.insert(doc("dup", `d${i}`, ["same"], { chunks: [{ text: "same boilerplate", embedding: [1, 0, 0, 0, 0, 0, 0, 0] }] }));
    const dup = await search.vectorCandidates([1, 0, 0, 0, 0, 0, 0, 0], null, { ...all, project: "dup" }, 50);
    expect(dup).toHaveLength(50);
    const details = await search.details(kw.map((c) => c.chunk_id));
    expect(details[0]).toMatchObject({ text: "nix flakes pin inputs", source_trust: "generated", positive_feedback: false });
  });

  it("versions fusion weights and normalises them", async () => {
    const weights = createWeightsRepository(db);
    const initial = await weights.current();
    expect(initial).toMatchObject({ version: 1 });
    expect(initial.vector + initial.keyword).toBeCloseTo(1, 5);
    const next = await weights.set({ vector: 3, keyword: 1 });
    expect(next).toMatchObject({ version: 2 });
    expect(next.vector).toBeCloseTo(0.75, 5);
    expect((await weights.current()).version).toBe(2);
  });

  it("collects garbage: only never-accessed, old documents without positive feedback", async () => {
    const repo = createDocumentRepository(db);
    const old = (await repo.insert(doc("gc", "g-old", ["old unused"]))).id;
    const oldUsed = (await repo.insert(doc("gc", "g-used", ["old used"]))).id;
    const oldLiked = (await repo.insert(doc("gc", "g-liked", ["old liked"]))).id;
    const young = (await repo.insert(doc("gc", "g-young", ["young unused"]))).id;
    // Test seam: documents are aged with SQL (the API has no way to backdate).
    await db.query("UPDATE documents SET ingested_at = now() - interval '200 days', last_accessed_at = now() - interval '200 days' WHERE id = ANY($1::uuid[])", [[old, oldLiked]]);
    await db.query("UPDATE documents SET ingested_at = now() - interval '200 days', last_accessed_at = now() - interval '3 days' WHERE id = $1", [oldUsed]);
    await repo.addFeedback(oldLiked, 1);
    const dry = await repo.collectGarbage({ olderThanDays: 180, dryRun: true });
    expect(dry).toEqual([old]);
    expect(await repo.get(old)).toBeDefined();
    expect(await repo.collectGarbage({ olderThanDays: 180, dryRun: false })).toEqual([old]);
    expect(await repo.get(old)).toBeUndefined();
    for (const id of [oldUsed, oldLiked, young]) expect(await repo.get(id)).toBeDefined();
    const counts = await repo.counts();
    expect(counts.documents).toBeGreaterThan(0);
    expect(counts.quarantined).toBe(1);
  });
});
