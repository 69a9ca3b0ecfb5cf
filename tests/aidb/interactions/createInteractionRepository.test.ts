import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { maxFeedbackNoteChars } from "../../../services/aidb/api/interactionsContract.js";
import type { Db } from "../../../services/aidb/db/Db.js";
import { migrate } from "../../../services/aidb/db/migrate.js";
import { createInteractionRepository, type InteractionRepository } from "../../../services/aidb/interactions/createInteractionRepository.js";
import { hashQueryText } from "../../../services/shared/text/hashQueryText.js";
import { fakeSecrets, j, rnd } from "../helpers/fakeSecrets.js";
import { drivers, type TestDb } from "../helpers/testDb.js";

const unknownId = "00000000-0000-4000-8000-000000000000";
const malformedIds = ["not-a-uuid", "", "1234", "00000000-0000-4000-8000-00000000000Z", "'; DROP TABLE interactions; --"];

const base = { queryText: "how do I enable zram?", backend: "local", reason: "context_quality_ok" };

describe.each(drivers)("interaction repository on the %s driver", (_name, open) => {
  let t: TestDb;
  let db: Db;
  let repo: InteractionRepository;
  beforeAll(async () => {
    t = await open();
    db = t.db;
    await migrate(db, { dimensions: 8 });
    repo = createInteractionRepository(db);
  });
  afterAll(async () => t?.close());

  describe("record and get", () => {
    it("round-trips every field", async () => {
      const id = await repo.record({
        project: "nixos",
        queryText: "How do I enable zram?",
        backend: "remote",
        reason: "context_quality_below_threshold_0.700",
        fallbackReason: "local_unhealthy",
        routingOverride: "structured_output_required",
        localConfidenceScore: 0.42,
        threshold: 0.7,
        bestScore: 0.55,
        cacheHit: true,
        variant: "B",
        timings: { retrieve_ms: 12.5, generate_ms: 840, total_ms: 870 },
        documentIds: ["00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"],
        sources: [{ document_id: "00000000-0000-4000-8000-00000000000a", title: "zram", score: 0.55, nested: { tags: ["swap"] } }],
        responseChars: 321,
      });
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const got = await repo.get(id);
      expect(got).toEqual({
        id,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        project: "nixos",
        query_text: "How do I enable zram?",
        query_hash: hashQueryText("how do i enable zram?"),
        backend: "remote",
        reason: "context_quality_below_threshold_0.700",
        fallback_reason: "local_unhealthy",
        routing_override: "structured_output_required",
        local_confidence_score: 0.42,
        threshold: 0.7,
        best_score: 0.55,
        cache_hit: true,
        variant: "B",
        timings: { retrieve_ms: 12.5, generate_ms: 840, total_ms: 870 },
        document_ids: ["00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"],
        sources: [{ document_id: "00000000-0000-4000-8000-00000000000a", title: "zram", score: 0.55, nested: { tags: ["swap"] } }],
        response_chars: 321,
        status: "ok",
        error: null,
        feedback: [],
      });
      expect(Math.abs(Date.parse(got!.created_at) - Date.now())).toBeLessThan(60_000);
    });

    it("fills defaults for a minimal record; an error makes the status 'error'", async () => {
      const got = await repo.get(await repo.record(base));
      expect(got).toMatchObject({
        project: null,
        fallback_reason: null,
        routing_override: null,
        local_confidence_score: null,
        threshold: null,
        best_score: null,
        cache_hit: false,
        variant: null,
        timings: {},
        document_ids: [],
        sources: [],
        response_chars: 0,
        status: "ok",
        error: null,
      });
      const failed = await repo.get(await repo.record({ ...base, error: "upstream timed out", bestScore: Number.NaN }));
      expect(failed).toMatchObject({ status: "error", error: "upstream timed out", best_score: null });
    });

    it("stores under a caller-chosen id, refusing a malformed or repeated one; keeps an aborted status", async () => {
      const id = "3f0c2a4e-9b1d-4c6e-8a2f-5d7e9b1c3a40";
      expect(await repo.record({ ...base, id, status: "aborted" })).toBe(id);
      expect(await repo.get(id)).toMatchObject({ id, status: "aborted", error: null });
      await expect(repo.record({ ...base, id })).rejects.toThrow();
      // Test harness only: pglite-socket drops the connection after a failed
      // statement, and the pooled client's next query fails with "Connection
      // terminated unexpectedly"; this spends that failure (real PostgreSQL
      // keeps the connection).
      if (db.driver === "pg") await db.query("SELECT 1").catch(() => {});
      await expect(repo.record({ ...base, id: "not-a-uuid" })).rejects.toThrow(RangeError);
    });

    it("accepts an interface-typed timings object and readonly arrays", async () => {
      interface StageTimings {
        retrieve_ms: number;
        total_ms: number;
      }
      const timings: StageTimings = { retrieve_ms: 1, total_ms: 2 };
      const documentIds: readonly string[] = Object.freeze(["d9"]);
      const got = await repo.get(await repo.record({ ...base, timings, documentIds }));
      expect(got).toMatchObject({ timings: { retrieve_ms: 1, total_ms: 2 }, document_ids: ["d9"] });
    });

    it.each(fakeSecrets)("redacts a %s in the query, the sources and the error before storing", async (kind, secret, line) => {
      const id = await repo.record({
        ...base,
        queryText: `why does this fail: ${line}`,
        sources: [{ title: `notes with ${line}`, deep: [{ source: line }] }],
        error: `remote said: ${line}`,
      });
      const got = await repo.get(id);
      const stored = JSON.stringify(got);
      expect(stored).not.toContain(secret);
      expect(got!.query_text).toContain(`[REDACTED:${kind}]`);
      expect(got!.error).toContain(`[REDACTED:${kind}]`);
      expect(JSON.stringify(got!.sources)).toContain(`[REDACTED:${kind}]`);
      // Nothing else in the database holds it either.
      const raw = await db.query("SELECT row_to_json(i)::text AS j FROM interactions i WHERE id = $1", [id]);
      expect(JSON.stringify(raw.rows)).not.toContain(secret);
      expect(got!.query_hash).toBe(hashQueryText(`why does this fail: ${line}`));
    });

    it("hashes the redacted, whitespace-normalised, lower-cased text", async () => {
      const a = await repo.get(await repo.record({ ...base, queryText: "  How do I   enable\n ZRAM? " }));
      const b = await repo.get(await repo.record({ ...base, queryText: "how do i enable zram?" }));
      expect(a!.query_hash).toBe(b!.query_hash);
      expect(a!.query_text).toBe("  How do I   enable\n ZRAM? ");
      // Two different secrets of one kind redact to the same text, so the queries group together.
      const token = (seed: number) => j("gh", "p_", rnd(36, seed));
      expect(token(1)).not.toBe(token(2));
      expect(hashQueryText(`clone with ${token(1)} fails`)).toBe(hashQueryText(`Clone with  ${token(2)} fails`));
      expect(hashQueryText("how do I enable zram")).not.toBe(hashQueryText("how do I enable swap"));
    });

    it("answers undefined for an unknown or malformed id", async () => {
      expect(await repo.get(unknownId)).toBeUndefined();
      for (const id of malformedIds) expect(await repo.get(id)).toBeUndefined();
    });
  });

  describe("feedback", () => {
    it("records ratings on a known interaction and returns its document ids", async () => {
      const id = await repo.record({ ...base, documentIds: ["d1", "d2"] });
      expect(await repo.addFeedback(id, 1)).toEqual({ documentIds: ["d1", "d2"] });
      expect(await repo.addFeedback(id, -1, "  wrong option name  ")).toEqual({ documentIds: ["d1", "d2"] });
      expect(await repo.addFeedback(id.toUpperCase(), 1, "   ")).toEqual({ documentIds: ["d1", "d2"] });
      const got = await repo.get(id);
      expect(got!.feedback.map((f) => [f.rating, f.note])).toEqual([
        [1, null],
        [-1, "  wrong option name  "],
        [1, null],
      ]);
      expect(got!.feedback[0].created_at).toMatch(/Z$/);
    });

    it("answers undefined for unknown and malformed ids, storing nothing", async () => {
      const before = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM interaction_feedback");
      expect(await repo.addFeedback(unknownId, 1, "hello")).toBeUndefined();
      for (const id of malformedIds) expect(await repo.addFeedback(id, -1)).toBeUndefined();
      const after = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM interaction_feedback");
      expect(after.rows[0].n).toBe(before.rows[0].n);
    });

    it("refuses a rating other than 1 or -1", async () => {
      const id = await repo.record(base);
      await expect(repo.addFeedback(id, 0 as never)).rejects.toThrow(RangeError);
      await expect(repo.addFeedback(id, 5 as never)).rejects.toThrow(RangeError);
    });

    it("redacts notes and cuts them to the length limit", async () => {
      const id = await repo.record(base);
      const [kind, secret, line] = fakeSecrets[4];
      await repo.addFeedback(id, -1, `it leaked ${line} here`);
      await repo.addFeedback(id, -1, "é".repeat(maxFeedbackNoteChars + 50));
      const notes = (await repo.get(id))!.feedback.map((f) => f.note!);
      expect(notes[0]).not.toContain(secret);
      expect(notes[0]).toContain(`[REDACTED:${kind}]`);
      expect(Array.from(notes[1]).length).toBe(maxFeedbackNoteChars);
    });

    it("feedback goes with its interaction; a gap keeps its row without the link", async () => {
      const id = await repo.record(base);
      await repo.addFeedback(id, 1);
      await repo.recordGap({ queryText: "cascade gap", score: 0.1, collectionSearched: "nixos", interactionId: id });
      await db.query("DELETE FROM interactions WHERE id = $1", [id]);
      const fb = await db.query("SELECT 1 FROM interaction_feedback WHERE interaction_id = $1", [id]);
      expect(fb.rows).toEqual([]);
      const gap = await db.query<{ interaction_id: string | null }>("SELECT interaction_id FROM query_gaps WHERE query_text = 'cascade gap'");
      expect(gap.rows).toEqual([{ interaction_id: null }]);
      expect(await repo.addFeedback(id, 1)).toBeUndefined();
    });
  });

  describe("knowledge gaps", () => {
    beforeEach(async () => {
      await db.query("DELETE FROM query_gaps");
    });
    const ageGaps = (text: string, days: number) =>
      db.query(`UPDATE query_gaps SET "timestamp" = now() - $2::double precision * interval '1 day' WHERE query_text = $1`, [text, days]);

    it("prints nothing to summarise when there are no gaps", async () => {
      expect(await repo.topGaps({ days: 7, limit: 10 })).toEqual([]);
    });

    it("groups repeats by normalised hash, keeping the highest score, the latest wording and collection", async () => {
      await repo.recordGap({ queryText: "How to set up WireGuard", score: 0.21, collectionSearched: "nixos" });
      await repo.recordGap({ queryText: "how to  set up wireguard", score: 0.35, collectionSearched: "*" });
      await repo.recordGap({ queryText: "HOW TO SET UP WIREGUARD ", score: 0.12, collectionSearched: "homelab" });
      await repo.recordGap({ queryText: "what is flake-parts", score: 0.3, collectionSearched: "nixos" });
      await ageGaps("How to set up WireGuard", 3);
      await ageGaps("how to  set up wireguard", 2);
      await ageGaps("HOW TO SET UP WIREGUARD ", 1);
      const gaps = await repo.topGaps({ days: 7, limit: 10 });
      expect(gaps).toEqual([
        {
          query_text: "HOW TO SET UP WIREGUARD ",
          query_text_hash: hashQueryText("how to set up wireguard"),
          count: 3,
          best_score: 0.35,
          last_seen: expect.stringMatching(/Z$/),
          collection_searched: "homelab",
        },
        {
          query_text: "what is flake-parts",
          query_text_hash: hashQueryText("what is flake-parts"),
          count: 1,
          best_score: 0.3,
          last_seen: expect.stringMatching(/Z$/),
          collection_searched: "nixos",
        },
      ]);
      const ageDays = (Date.now() - Date.parse(gaps[0].last_seen)) / 86_400_000;
      expect(ageDays).toBeGreaterThan(0.99);
      expect(ageDays).toBeLessThan(1.01);
    });

    it("orders equal counts by the most recently seen", async () => {
      for (const q of ["older gap", "newer gap", "middle gap"]) {
        await repo.recordGap({ queryText: q, score: 0.2, collectionSearched: "nixos" });
        await repo.recordGap({ queryText: q, score: 0.2, collectionSearched: "nixos" });
      }
      await ageGaps("older gap", 3);
      await ageGaps("middle gap", 2);
      await ageGaps("newer gap", 1);
      expect((await repo.topGaps({ days: 7, limit: 10 })).map((g) => g.query_text)).toEqual(["newer gap", "middle gap", "older gap"]);
    });

    it("counts only gaps inside the day window", async () => {
      for (let i = 0; i < 3; i++) await repo.recordGap({ queryText: "old and frequent", score: 0.1, collectionSearched: "nixos" });
      await repo.recordGap({ queryText: "recent", score: 0.1, collectionSearched: "nixos" });
      await ageGaps("old and frequent", 10);
      expect((await repo.topGaps({ days: 7, limit: 10 })).map((g) => [g.query_text, g.count])).toEqual([["recent", 1]]);
      expect((await repo.topGaps({ days: 30, limit: 10 })).map((g) => [g.query_text, g.count])).toEqual([
        ["old and frequent", 3],
        ["recent", 1],
      ]);
      // A gap seen in and out of the window counts only its recent sightings.
      await repo.recordGap({ queryText: "old and frequent", score: 0.39, collectionSearched: "nixos" });
      expect((await repo.topGaps({ days: 7, limit: 10 })).map((g) => [g.query_text, g.count, g.best_score])).toEqual([
        ["old and frequent", 1, 0.39],
        ["recent", 1, 0.1],
      ]);
    });

    it("returns at most `limit`, the most repeated first", async () => {
      for (let i = 0; i < 12; i++) {
        for (let k = 0; k <= i; k++) await repo.recordGap({ queryText: `gap number ${i}`, score: 0.1, collectionSearched: "nixos" });
      }
      const top = await repo.topGaps({ days: 7, limit: 10 });
      expect(top).toHaveLength(10);
      expect(top.map((g) => g.count)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
      expect(top[0].query_text).toBe("gap number 11");
    });

    it("redacts the stored query and links only a known interaction", async () => {
      const [kind, secret, line] = fakeSecrets[5];
      const id = await repo.record(base);
      await repo.recordGap({ queryText: `clone fails: ${line}`, score: 0.2, collectionSearched: "nixos", interactionId: id });
      await repo.recordGap({ queryText: "unknown link", score: 0.2, collectionSearched: "nixos", interactionId: unknownId });
      await repo.recordGap({ queryText: "malformed link", score: 0.2, collectionSearched: "nixos", interactionId: "nope" });
      const rows = await db.query<{ query_text: string; interaction_id: string | null; query_text_hash: string }>(
        "SELECT query_text, interaction_id, query_text_hash FROM query_gaps ORDER BY id",
      );
      expect(JSON.stringify(rows.rows)).not.toContain(secret);
      expect(rows.rows[0].query_text).toContain(`[REDACTED:${kind}]`);
      expect(rows.rows[0].query_text_hash).toBe(hashQueryText(`clone fails: ${line}`));
      expect(rows.rows.map((r) => r.interaction_id)).toEqual([id, null, null]);
    });
  });
});
