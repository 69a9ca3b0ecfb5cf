import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { afterAll, describe, expect, inject, it } from "vitest";
import { listeningPort, runAq, spawnAq, type AqProcess } from "../helpers/spawnAq.js";
import { waitFor } from "../helpers/startInferenceApp.js";
import { send } from "./helpers/startAidbApp.js";
import { freshDataDir, removeDataDir } from "./helpers/testDb.js";

const dirs: string[] = [];
const procs: AqProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
  for (const d of dirs) removeDataDir(d);
});

async function serve(dataDir: string, extra: string[] = []): Promise<{ p: AqProcess; url: string }> {
  const p = spawnAq(["serve", "aidb", "--data-dir", dataDir, "--embed-model", inject("models").embed, "--port", "0", ...extra]);
  procs.push(p);
  const url = `http://127.0.0.1:${await listeningPort(p, 60_000)}`;
  return { p, url };
}

describe("aq serve aidb / ingest / gc: bad arguments exit with code 2", () => {
  it.each([
    ["no embedder", ["serve", "aidb", "--port", "0"], /embeddingsUrl/],
    ["two embedders", ["serve", "aidb", "--embed-url", "http://127.0.0.1:1", "--embed-model", "x.gguf"], /embedModel/],
    ["a data dir and a database URL", ["serve", "aidb", "--embed-url", "http://127.0.0.1:1", "--data-dir", "d", "--database-url", "postgres://h/db"], /databaseUrl/],
    ["a bad threshold", ["serve", "aidb", "--embed-url", "http://127.0.0.1:1", "--injection-threshold", "2"], /injectionThreshold/],
    ["an unknown flag", ["serve", "aidb", "--frob", "1"], /frob/],
    ["ingest without a path", ["ingest"], /usage: aq ingest/],
    ["ingest of a missing path", ["ingest", "/nonexistent/aidb/input"], /cannot read/],
    ["ingest with a bad URL", ["ingest", "-", "--url", "ftp://x"], /--url/],
    ["ingest with a bad trust", ["ingest", "-", "--source-trust", "holy"], /source-trust/],
    ["gc with an argument", ["gc", "now"], /unexpected argument/],
  ])("%s", async (_name, args, message) => {
    const r = await runAq(args, { AI_STACK_CONFIG: "" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("ingest and gc against no server exit 1 and say where they tried", async () => {
    const r = await runAq(["gc", "--url", "http://127.0.0.1:9"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot reach aidb at http://127.0.0.1:9");
  });
});

describe("aq serve aidb with a data directory", () => {
  it("ingests a directory and stdin, keeps fusion weights and documents across a restart, and runs gc", async () => {
    const dataDir = await freshDataDir();
    dirs.push(dataDir);
    const input = mkdtempSync(join(tmpdir(), "aidb-input-"));
    mkdirSync(join(input, "sub"));
    writeFileSync(join(input, "a.md"), "# Flakes\nNix flakes pin their inputs.");
    writeFileSync(join(input, "sub", "b.txt"), "Home Manager manages dotfiles.");
    writeFileSync(join(input, "skip.json"), "{}");

    const first = await serve(dataDir);
    const ing = await runAq(["ingest", input, "--url", first.url, "--project", "cli"]);
    expect(ing.code, ing.stderr).toBe(0);
    expect(ing.stdout).toMatch(/stored +\S+ a\.md/);
    expect(ing.stdout).toContain("2 stored, 0 duplicates, 0 failed");
    const again = await runAq(["ingest", input, "--url", first.url, "--project", "cli"]);
    expect(again.stdout).toContain("0 stored, 2 duplicates, 0 failed");

    const stdin = spawn(process.execPath, [inject("aqBin"), "ingest", "-", "--url", first.url, "--project", "cli", "--title", "piped"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    stdin.stdout.on("data", (d) => (out += d));
    stdin.stdin.end("Piped text about garbage collection roots.");
    expect(await new Promise((r) => stdin.on("exit", r))).toBe(0);
    expect(out).toContain("1 stored");

    const put = await send(`${first.url}/rag/fusion/weights`, "PUT", { vector: 2, keyword: 2 });
    expect(put.body.version).toBe(2);
    first.p.child.kill("SIGTERM");
    expect(await first.p.exited).toBe(0);

    const second = await serve(dataDir);
    const weights = await send(`${second.url}/rag/fusion/weights`, "GET");
    expect(weights.body).toMatchObject({ version: 2, vector: 0.5, keyword: 0.5 });
    const put3 = await send(`${second.url}/rag/fusion/weights`, "PUT", { vector: 1, keyword: 0 });
    expect(put3.body.version).toBe(3);
    const listed = await send(`${second.url}/documents?project=cli`, "GET");
    expect(listed.body.total).toBe(3);
    const found = await send(`${second.url}/search?q=flakes&project=cli&mode=keyword`, "GET");
    expect(found.body.results[0].title).toBe("a.md");
    const gc = await runAq(["gc", "--dry-run", "--url", second.url]);
    expect(gc.code).toBe(0);
    expect(gc.stdout).toContain("would delete 0 documents");
    second.p.child.kill("SIGTERM");
    expect(await second.p.exited).toBe(0);
  }, 120_000);

  it("a process killed in the middle of a large batch leaves no half-written document", async () => {
    const dataDir = await freshDataDir();
    dirs.push(dataDir);
    const { p, url } = await serve(dataDir);
    const words = (i: number) => Array.from({ length: 250 }, (_, k) => `w${i}x${k}`).join(" ");
    const documents = Array.from({ length: 120 }, (_, i) => ({ project: "crash", text: `document ${i} ${words(i)}` }));
    const pending = fetch(`${url}/documents`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ documents }) }).catch(() => undefined);
    await waitFor(async () => {
      const s = await send(`${url}/status`, "GET").catch(() => undefined);
      return s && s.body.documents >= 3 ? true : undefined;
    }, 60_000, "some documents stored");
    p.child.kill("SIGKILL");
    await p.exited;
    await pending;

    const pg = await PGlite.create({ dataDir, extensions: { vector } });
    try {
      const docs = await pg.query<{ id: string; chunk_count: number; n: number; maxpos: number }>(
        `SELECT d.id, d.chunk_count, count(c.id)::int AS n, coalesce(max(c.position), -1) AS maxpos
         FROM documents d LEFT JOIN chunks c ON c.document_id = d.id GROUP BY d.id`,
      );
      expect(docs.rows.length).toBeGreaterThanOrEqual(3);
      expect(docs.rows.length).toBeLessThan(120);
      for (const d of docs.rows) {
        expect(d.n).toBe(d.chunk_count);
        expect(d.maxpos).toBe(d.chunk_count - 1);
      }
      const orphans = await pg.query<{ n: number }>("SELECT count(*)::int AS n FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = c.document_id)");
      expect(orphans.rows[0].n).toBe(0);
    } finally {
      await pg.close();
    }
    // And the store reopens as a service.
    const again = await serve(dataDir);
    expect((await send(`${again.url}/ready`, "GET")).status).toBe(200);
    again.p.child.kill("SIGTERM");
    await again.p.exited;
  }, 120_000);
});
