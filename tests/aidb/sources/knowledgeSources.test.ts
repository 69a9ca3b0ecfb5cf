import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { knowledgeSourcesSchema } from "../../../services/aidb/sources/knowledgeSourcesSchema.js";
import { createSsrfGuard } from "../../../services/shared/net/createSsrfGuard.js";
import { addressList, isBlockedAddress } from "../../../services/shared/net/isBlockedAddress.js";
import { captureLogger } from "../../helpers/captureLogger.js";
import { runAq } from "../../helpers/spawnAq.js";
import { startAidbApp, type RunningAidb } from "../helpers/startAidbApp.js";
import { openTestPglite, type TestDb } from "../helpers/testDb.js";

describe("the SSRF guard", () => {
  it("blocks loopback, private, shared and link-local addresses, IPv4-mapped ones included", () => {
    for (const a of ["127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "0.0.0.0", "::1", "::", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1"]) {
      expect(isBlockedAddress(a), a).toEqual({ blocked: true, reason: "private_address" });
    }
    for (const a of ["169.254.169.254", "169.254.0.1", "fe80::1", "::ffff:169.254.169.254"]) expect(isBlockedAddress(a), a).toEqual({ blocked: true, reason: "link_local" });
    for (const a of ["8.8.8.8", "1.1.1.1", "172.32.0.1", "2001:4860:4860::8888"]) expect(isBlockedAddress(a), a).toEqual({ blocked: false });
  });

  it("lets an allowlist name private addresses, but never link-local", () => {
    const allowed = addressList(["127.0.0.1/32", "10.0.0.0/8", "169.254.0.0/16"]);
    expect(isBlockedAddress("127.0.0.1", allowed).blocked).toBe(false);
    expect(isBlockedAddress("127.0.0.2", allowed).blocked).toBe(true);
    expect(isBlockedAddress("10.9.9.9", allowed).blocked).toBe(false);
    expect(isBlockedAddress("169.254.169.254", allowed)).toEqual({ blocked: true, reason: "link_local" });
  });

  it("checks scheme, host allowlist and the resolved address, and logs ssrf_blocked", async () => {
    const log = captureLogger();
    const guard = createSsrfGuard({ allowHosts: ["docs.example.org", "*.example.net", "127.0.0.1:8765", "localhost", "169.254.169.254"], allowPrivateAddresses: [] }, log.logger);
    const reason = (url: string) => guard.check(url).then(() => "allowed", (e: { reason: string }) => e.reason);
    expect(await reason("file:///etc/passwd")).toBe("scheme_not_allowed");
    expect(await reason("http://user:pw@docs.example.org/")).toBe("scheme_not_allowed");
    expect(await reason("http://evil.example.com/")).toBe("host_not_allowed");
    expect(await reason("http://127.0.0.1:9999/")).toBe("host_not_allowed"); // wrong port
    expect(await reason("http://example.net/")).toBe("host_not_allowed"); // *.example.net is subdomains only
    // Allowlisted by name or address, but loopback / link-local: blocked on the address (the name is resolved first).
    expect(await reason("http://localhost/")).toBe("private_address");
    expect(await reason("http://127.0.0.1:8765/")).toBe("private_address");
    expect(await reason("http://169.254.169.254/latest/meta-data/")).toBe("link_local");
    const lines = log.lines().filter((l) => l.event === "ssrf_blocked");
    expect(lines.length).toBe(8);
    expect(lines.at(-1)).toMatchObject({ url: "http://169.254.169.254/latest/meta-data/", reason: "link_local", address: "169.254.169.254" });
  });

  it("refuses a registry with duplicate ids, bad CIDRs or an unknown source type", () => {
    expect(knowledgeSourcesSchema.safeParse({ sources: [{ id: "a", type: "git", project: "p", url: "https://x" }] }).success).toBe(false);
    expect(knowledgeSourcesSchema.safeParse({ allowPrivateAddresses: ["localhost"] }).success).toBe(false);
    const dup = knowledgeSourcesSchema.safeParse({ sources: [1, 2].map(() => ({ id: "a", type: "local_directory", project: "p", path: "/x" })) });
    expect(dup.error?.issues[0]?.message).toMatch(/duplicate source id "a"/);
  });
});

interface Served {
  body: string;
  etag: string;
  type?: string;
}

describe("aq sources sync against a real aidb (a local folder and a URL served on loopback)", () => {
  let dbh: TestDb;
  let aidb: RunningAidb;
  let server: Server;
  let port: number;
  let dir: string;
  const served = new Map<string, Served>();
  const requests: { path: string; ifNoneMatch?: string }[] = [];
  let docsDir: string;
  let registry: string;

  const writeRegistry = (r: object) => writeFileSync(registry, JSON.stringify(r));
  const sync = async (...args: string[]) => {
    const r = await runAq(["sources", "sync", "--registry", registry, "--url", aidb.url, "--json", ...args]);
    let json: any;
    try {
      json = JSON.parse(r.stdout);
    } catch {
      throw new Error(`aq sources sync printed no JSON (exit ${r.code}): ${r.stdout} ${r.stderr}`);
    }
    const changes = (id: string) => Object.fromEntries(json.sources.find((s: { id: string }) => s.id === id).items.map((i: { key: string; change: string }) => [i.key, i.change]));
    return { ...r, json, changes };
  };
  const documents = async (project: string) =>
    (await dbh.db.query<{ title: string; source: string }>("SELECT title, source FROM documents WHERE project = $1 ORDER BY title", [project])).rows.map((r) => r.title);
  const ssrfLines = (stderr: string) =>
    stderr
      .split("\n")
      .filter((l) => l.includes('"ssrf_blocked"'))
      .map((l) => JSON.parse(l) as { reason: string; url: string; address?: string });

  beforeAll(async () => {
    dbh = await openTestPglite();
    aidb = await startAidbApp(dbh.db, { ingestRetryAttempts: 2, ingestRetryBaseMs: 10 });
    dir = mkdtempSync(join(tmpdir(), "sources-"));
    docsDir = join(dir, "notes");
    mkdirSync(join(docsDir, "sub"), { recursive: true });
    writeFileSync(join(docsDir, "flakes.md"), "# Flakes\n\nA flake pins its inputs in flake.lock, so builds are reproducible.");
    writeFileSync(join(docsDir, "zram.md"), "# zram\n\nzram gives a compressed swap device in RAM, useful on small machines.");
    writeFileSync(join(docsDir, "sub", "gc.txt"), "nix-collect-garbage deletes old generations and unreachable store paths.");
    writeFileSync(join(docsDir, "image.png"), "not text");
    registry = join(dir, "knowledge-sources.json");
    server = createServer((req: IncomingMessage, res) => {
      const path = req.url ?? "/";
      requests.push({ path, ifNoneMatch: req.headers["if-none-match"] as string | undefined });
      if (path.startsWith("/redirect")) {
        res.writeHead(302, { location: `http://127.0.0.2:${port}/wiki.md` }).end();
        return;
      }
      const doc = served.get(path);
      if (!doc) return void res.writeHead(404).end();
      if (req.headers["if-none-match"] === doc.etag) return void res.writeHead(304, { etag: doc.etag }).end();
      res.writeHead(200, { "content-type": doc.type ?? "text/markdown; charset=utf-8", etag: doc.etag }).end(doc.body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    port = (server.address() as { port: number }).port;
    served.set("/wiki.md", { body: "# Wiki\n\nOur home-manager setup keeps user configuration in home.nix.", etag: '"v1"' });
    served.set("/page.html", { body: "<html><body><h1>Rollback</h1><script>alert(1)</script><p>nixos-rebuild switch --rollback returns to the last generation.</p></body></html>", etag: '"h1"', type: "text/html" });
  });

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await aidb?.close();
    await dbh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("syncs a local folder incrementally: unchanged files are not sent, a touched one costs no embedding, changes replace, deletions delete", async () => {
    writeRegistry({ sources: [{ id: "notes", type: "local_directory", path: docsDir, project: "notes" }] });
    const dry = await sync("--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.changes("notes")).toEqual({ "flakes.md": "new", "sub/gc.txt": "new", "zram.md": "new" });
    expect(await documents("notes")).toEqual([]);

    const first = await sync();
    expect(first.stderr).not.toMatch(/"level":50/);
    expect(first.code).toBe(0);
    expect(first.json.sources[0].job).toMatchObject({ stored: 3, dead_lettered: 0 });
    expect(await documents("notes")).toEqual(["flakes.md", "sub/gc.txt", "zram.md"]);

    const second = await sync();
    expect(second.changes("notes")).toEqual({ "flakes.md": "unchanged", "sub/gc.txt": "unchanged", "zram.md": "unchanged" });
    expect(second.json.sources[0].job).toBeUndefined(); // nothing sent at all

    // Touched (new mtime, same bytes): sent, found already stored, recorded; no new document.
    utimesSync(join(docsDir, "zram.md"), new Date(), new Date(Date.now() + 5000));
    const touched = await sync();
    expect(touched.changes("notes")["zram.md"]).toBe("touched");
    expect(touched.json.sources[0].job).toMatchObject({ stored: 0, duplicates: 1 });
    expect((await sync()).changes("notes")["zram.md"]).toBe("unchanged");

    // Changed: the new text replaces the old document; removed: its document goes.
    writeFileSync(join(docsDir, "flakes.md"), "# Flakes\n\nflake.lock pins every input to a revision and a narHash.");
    rmSync(join(docsDir, "sub", "gc.txt"));
    const changed = await sync();
    expect(changed.changes("notes")).toEqual({ "flakes.md": "changed", "sub/gc.txt": "removed", "zram.md": "unchanged" });
    expect(changed.json.sources[0]).toMatchObject({ job: { stored: 1 }, deleted_documents: 1 });
    expect(await documents("notes")).toEqual(["flakes.md", "zram.md"]);
    const text = await dbh.db.query<{ text: string }>("SELECT c.text FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.title = 'flakes.md'");
    expect(text.rows.map((r) => r.text).join(" ")).toContain("narHash");

    const list = await runAq(["sources", "list", "--registry", registry, "--url", aidb.url]);
    expect(list.stdout).toMatch(/^notes\s+local_directory\s+weekly\s+notes\s+.*\(2 items, last synced /m);
  });

  it("syncs a URL on loopback when the registry allowlists that host and address, conditionally with ETag", async () => {
    writeRegistry({
      allowHosts: [`127.0.0.1:${port}`],
      allowPrivateAddresses: ["127.0.0.1/32"],
      sources: [
        { id: "wiki", type: "url", url: `http://127.0.0.1:${port}/wiki.md`, project: "web", title: "wiki" },
        { id: "page", type: "url", url: `http://127.0.0.1:${port}/page.html`, project: "web", schedule: "manual" },
      ],
    });
    const first = await sync();
    expect(first.code).toBe(0);
    // Only the weekly source; the manual one waits for --id.
    expect(first.json.sources.map((s: { id: string }) => s.id)).toEqual(["wiki"]);
    expect(first.changes("wiki")).toEqual({ [`http://127.0.0.1:${port}/wiki.md`]: "new" });
    expect(await documents("web")).toEqual(["wiki"]);

    requests.length = 0;
    const again = await sync();
    expect(again.changes("wiki")[`http://127.0.0.1:${port}/wiki.md`]).toBe("unchanged");
    expect(requests).toEqual([{ path: "/wiki.md", ifNoneMatch: '"v1"' }]); // answered 304

    served.set("/wiki.md", { body: "# Wiki\n\nhome-manager now manages programs and home.packages too.", etag: '"v2"' });
    const changed = await sync();
    expect(changed.changes("wiki")[`http://127.0.0.1:${port}/wiki.md`]).toBe("changed");
    const chunks = await dbh.db.query<{ text: string }>("SELECT c.text FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.project = 'web'");
    expect(chunks.rows.map((r) => r.text).join(" ")).toContain("home.packages");
    expect(chunks.rows.map((r) => r.text).join(" ")).not.toContain("user configuration");

    const page = await sync("--id", "page");
    expect(page.code).toBe(0);
    const stored = await dbh.db.query<{ text: string }>("SELECT c.text FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.source LIKE '%page.html'");
    const pageText = stored.rows.map((r) => r.text).join(" ");
    expect(pageText).toContain("nixos-rebuild switch --rollback");
    expect(pageText).not.toMatch(/<p>|alert\(1\)/);
  });

  it("blocks what the guard says: loopback not allowlisted by address, a host not allowlisted, metadata, a redirect to a blocked address", async () => {
    const url = `http://127.0.0.1:${port}/wiki.md`;
    writeRegistry({
      allowHosts: [`127.0.0.1:${port}`, "169.254.169.254", "localhost"],
      sources: [
        { id: "loopback", type: "url", url, project: "blocked" },
        { id: "other-host", type: "url", url: `http://127.0.0.2:${port}/wiki.md`, project: "blocked" },
        { id: "metadata", type: "url", url: "http://169.254.169.254/latest/meta-data/", project: "blocked" },
        { id: "by-name", type: "url", url: `http://localhost:${port}/wiki.md`, project: "blocked" },
      ],
    });
    requests.length = 0;
    const r = await sync();
    expect(r.code).toBe(1);
    expect(r.changes("loopback")[url]).toBe("blocked");
    const reasons = Object.fromEntries(ssrfLines(r.stderr).map((l) => [new URL(l.url).hostname, l.reason]));
    expect(reasons).toEqual({ "127.0.0.1": "private_address", "127.0.0.2": "host_not_allowed", "169.254.169.254": "link_local", localhost: "private_address" });
    expect(requests).toEqual([]); // nothing was fetched
    expect(await documents("blocked")).toEqual([]);

    // Allowed to the loopback server itself, but it redirects to an address that is not.
    writeRegistry({ allowHosts: [`127.0.0.1:${port}`], allowPrivateAddresses: ["127.0.0.1/32"], sources: [{ id: "redirect", type: "url", url: `http://127.0.0.1:${port}/redirect`, project: "blocked" }] });
    const redirected = await sync();
    expect(redirected.code).toBe(1);
    expect(redirected.changes("redirect")[`http://127.0.0.1:${port}/redirect`]).toBe("blocked");
    const line = ssrfLines(redirected.stderr)[0]!;
    expect(line).toMatchObject({ reason: "host_not_allowed", url: `http://127.0.0.2:${port}/wiki.md` });
    expect(requests.map((q) => q.path)).toEqual(["/redirect"]);
    expect(await documents("blocked")).toEqual([]);
  });

  it("refuses a missing or invalid registry with exit 2, naming the key", async () => {
    const missing = await runAq(["sources", "list", "--registry", join(dir, "nope.json"), "--url", aidb.url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no knowledge-source registry/);
    writeRegistry({ sources: [{ id: "x", type: "url", url: "https://x.example/doc.md", project: "p" }] });
    const check = await runAq(["sources", "check", "--registry", registry]);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/1 source, valid/);
    writeRegistry({ sources: [{ id: "x", type: "url", url: "ftp://x", project: "p" }] });
    const bad = await runAq(["sources", "sync", "--registry", registry, "--url", aidb.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`invalid "sources[0].url"`);
    expect((await runAq(["sources", "check", "--registry", registry])).code).toBe(2);
  });
});
