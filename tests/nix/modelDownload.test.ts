import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";

const script = resolve(import.meta.dirname, "../../nix/scripts/ai-model-download.sh");
const sha = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");

interface PlanLine {
  id: string;
  repo: string;
  file: string;
  sha256: string | null;
  size?: number;
  /** The upstream commit; default REV. null: unknown. */
  revision?: string | null;
}

const REV = "0123456789abcdef0123456789abcdef01234567";
/** Where the script keeps a download until it is verified: named by the sha256 it must end up with. */
const partial = (sha256: string, file: string) => `.incoming/${sha256.slice(0, 16)}-${file}`;

/**
 * A sandbox for nix/scripts/ai-model-download.sh: a model store, a fake curl
 * that serves files from `remote/` (and logs each URL), and a fake `aq` whose
 * `models inspect` refuses (exit 2) any file that contains "UNSAFE".
 */
function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), "ai-model-download-"));
  const remote = join(dir, "remote");
  const models = join(dir, "models");
  mkdirSync(remote);
  const curl = join(dir, "curl");
  writeFileSync(
    curl,
    `#!/usr/bin/env bash
out=""; url=""
while [ $# -gt 0 ]; do case "$1" in --output) out="$2"; shift 2;; --*) shift;; *) url="$1"; shift;; esac; done
echo "$url" >> "${dir}/curl.log"
f="${remote}/\${url##*/}"
[ -f "$f" ] || { echo "404 $url" >&2; exit 22; }
cp "$f" "$out"
`,
  );
  const aq = join(dir, "aq");
  writeFileSync(
    aq,
    `#!/usr/bin/env bash
[ "$1 $2" = "models inspect" ] || exit 64
[ "$4" = "--sha256" ] || exit 64
echo "$3 $5" >> "${dir}/aq.log"
if grep -q UNSAFE "$3"; then echo "refused: unsafe tensor data" >&2; exit 2; fi
exit 0
`,
  );
  chmodSync(curl, 0o755);
  chmodSync(aq, 0o755);
  const allowlist = join(dir, "allowlist");
  writeFileSync(allowlist, "org/good\norg/other\n");

  return {
    models,
    serve(file: string, content: string) {
      writeFileSync(join(remote, file), content);
    },
    run(plan: PlanLine[]) {
      const planFile = join(dir, "plan.tsv");
      writeFileSync(planFile, plan.map((p) => [p.id, p.repo, p.file, p.sha256 ?? "-", p.size ?? "-", p.revision === undefined ? REV : (p.revision ?? "-")].join("\t") + "\n").join(""));
      const r = spawnSync("bash", [script], {
        encoding: "utf8",
        env: {
          PATH: process.env.PATH,
          AI_STACK_MODELS_DIR: models,
          AI_STACK_DOWNLOAD_PLAN: planFile,
          AI_STACK_ALLOWLIST: allowlist,
          AI_STACK_DOWNLOAD_BASE_URL: "https://models.example",
          AQ: aq,
          CURL: curl,
        },
      });
      return { status: r.status, stderr: r.stderr };
    },
    curlCalls: () => (existsSync(join(dir, "curl.log")) ? readFileSync(join(dir, "curl.log"), "utf8").trim().split("\n") : []),
    aqCalls: () => (existsSync(join(dir, "aq.log")) ? readFileSync(join(dir, "aq.log"), "utf8").trim().split("\n") : []),
    provenance: () => JSON.parse(readFileSync(join(models, "provenance.json"), "utf8")) as Array<Record<string, string>>,
    status: () => JSON.parse(readFileSync(join(models, "download-status.json"), "utf8")) as { updated_at: string; models: Record<string, Record<string, unknown>> },
  };
}

describe("ai-model-download (nix/scripts/ai-model-download.sh)", () => {
  let box: ReturnType<typeof sandbox>;
  beforeEach(() => {
    box = sandbox();
  });

  it("downloads, verifies and records provenance for each model", () => {
    box.serve("a.gguf", "model a");
    box.serve("b.gguf", "model b");
    const r = box.run([
      { id: "a", repo: "org/good", file: "a.gguf", sha256: sha("model a"), size: 7 },
      { id: "b", repo: "org/other", file: "b.gguf", sha256: sha("model b") },
    ]);
    expect(r.stderr).not.toMatch(/refused/);
    expect(r.status).toBe(0);
    expect(readFileSync(join(box.models, "a.gguf"), "utf8")).toBe("model a");
    // Pinned: the registry's revision, never resolve/main.
    expect(box.curlCalls()).toEqual([`https://models.example/org/good/resolve/${REV}/a.gguf`, `https://models.example/org/other/resolve/${REV}/b.gguf`]);
    expect(box.aqCalls()).toEqual([`${join(box.models, partial(sha("model a"), "a.gguf"))} ${sha("model a")}`, `${join(box.models, partial(sha("model b"), "b.gguf"))} ${sha("model b")}`]);
    const prov = box.provenance();
    expect(prov.map((p) => ({ ...p, downloaded_at: "T" }))).toEqual([
      { model: "a", hf_repo: "org/good", hf_file: "a.gguf", revision: REV, sha256: sha("model a"), downloaded_at: "T" },
      { model: "b", hf_repo: "org/other", hf_file: "b.gguf", revision: REV, sha256: sha("model b"), downloaded_at: "T" },
    ]);
    expect(box.status().models).toEqual({
      "a.gguf": { model: "a", state: "installed", bytes_total: 7 },
      "b.gguf": { model: "b", state: "installed", bytes_total: null },
    });
    for (const p of prov) expect(p.downloaded_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(readdirSync(join(box.models, ".incoming"))).toEqual([]);
  });

  it("does not download a model again once it is present and recorded", () => {
    box.serve("a.gguf", "model a");
    const plan = [{ id: "a", repo: "org/good", file: "a.gguf", sha256: sha("model a"), size: 7 }];
    expect(box.run(plan).status).toBe(0);
    const first = box.provenance();
    const again = box.run(plan);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/a: a.gguf is present and verified/);
    expect(box.curlCalls()).toHaveLength(1);
    expect(box.provenance()).toEqual(first);
  });

  it("downloads again when the recorded file has the wrong size", () => {
    box.serve("a.gguf", "model a");
    const plan = [{ id: "a", repo: "org/good", file: "a.gguf", sha256: sha("model a"), size: 7 }];
    expect(box.run(plan).status).toBe(0);
    writeFileSync(join(box.models, "a.gguf"), "trunc");
    expect(box.run(plan).status).toBe(0);
    expect(box.curlCalls()).toHaveLength(2);
    expect(readFileSync(join(box.models, "a.gguf"), "utf8")).toBe("model a");
  });

  it("refuses a repository that is not on the allowlist, and still fetches the others", () => {
    box.serve("evil.gguf", "x");
    box.serve("a.gguf", "model a");
    const r = box.run([
      { id: "evil", repo: "mallory/models", file: "evil.gguf", sha256: sha("x") },
      { id: "a", repo: "org/good", file: "a.gguf", sha256: sha("model a") },
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refused evil: repository mallory\/models is not on the registry allowlist/);
    expect(existsSync(join(box.models, "evil.gguf"))).toBe(false);
    expect(box.curlCalls()).toEqual([`https://models.example/org/good/resolve/${REV}/a.gguf`]);
    expect(box.provenance().map((p) => p.model)).toEqual(["a"]);
    expect(box.status().models.evil).toBeUndefined();
    expect(box.status().models["evil.gguf"]).toEqual({ model: "evil", state: "refused", bytes_total: null, error: "repository mallory/models is not on the registry allowlist" });
  });

  it("refuses an entry without a sha256 until the registry has one", () => {
    box.serve("a.gguf", "model a");
    const r = box.run([{ id: "a", repo: "org/good", file: "a.gguf", sha256: null }]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refused a: registry entry has no sha256; fill in its real sha256 in lib\/models.json/);
    expect(box.curlCalls()).toEqual([]);
  });

  it("refuses an entry without a pinned revision, as one without a sha256", () => {
    box.serve("a.gguf", "model a");
    const r = box.run([{ id: "a", repo: "org/good", file: "a.gguf", sha256: sha("model a"), revision: null }]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refused a: registry entry has no revision; fill in the upstream commit its sha256 was published at in lib\/models.json/);
    expect(box.curlCalls()).toEqual([]);
    expect(box.status().models["a.gguf"]).toMatchObject({ state: "refused", error: expect.stringMatching(/no revision/) });
  });

  it("refuses a file whose sha256 does not match, and keeps nothing of it", () => {
    box.serve("a.gguf", "tampered");
    const r = box.run([{ id: "a", repo: "org/good", file: "a.gguf", sha256: sha("model a") }]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`refused a: sha256 mismatch: expected ${sha("model a")}, got ${sha("tampered")}`));
    expect(existsSync(join(box.models, "a.gguf"))).toBe(false);
    expect(readdirSync(join(box.models, ".incoming"))).toEqual([]);
    expect(existsSync(join(box.models, "provenance.d", "a.json"))).toBe(false);
    expect(box.aqCalls()).toEqual([]);
  });

  it("refuses a file the GGUF safety check rejects (aq models inspect exit 2)", () => {
    box.serve("a.gguf", "UNSAFE weights");
    const r = box.run([{ id: "a", repo: "org/good", file: "a.gguf", sha256: sha("UNSAFE weights") }]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refused a: the GGUF safety check \(aq models inspect\) refused a.gguf/);
    expect(existsSync(join(box.models, "a.gguf"))).toBe(false);
    expect(box.provenance()).toEqual([]);
  });

  it("refuses registry values that could escape the model store", () => {
    const r = box.run([{ id: "a", repo: "org/good", file: "../../etc/passwd", sha256: sha("x") }]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refused a: registry entry has unexpected characters/);
    expect(box.curlCalls()).toEqual([]);
  });

  it("exits 75 (try again later) when a download fails and nothing was refused, and still fetches the others", () => {
    box.serve("b.gguf", "model b");
    const r = box.run([
      { id: "a", repo: "org/good", file: "missing.gguf", sha256: sha("x") },
      { id: "b", repo: "org/good", file: "b.gguf", sha256: sha("model b") },
    ]);
    expect(r.status).toBe(75);
    expect(r.stderr).toMatch(/a: download of missing.gguf failed \(curl exit 22\); the partial file is kept and resumed on the next run/);
    expect(box.status().models["missing.gguf"]).toMatchObject({ state: "failed", error: "download failed (curl exit 22)" });
    expect(box.provenance().map((p) => p.model)).toEqual(["b"]);
  });

  it("lets a refusal win over a failed download (exit 1: a restart cannot help)", () => {
    const r = box.run([
      { id: "a", repo: "org/good", file: "missing.gguf", sha256: sha("x") },
      { id: "b", repo: "org/good", file: "b.gguf", sha256: null },
    ]);
    expect(r.status).toBe(1);
  });
});

const curlMissing = spawnSync("sh", ["-c", "command -v curl"], { stdio: "ignore" }).status === 0 ? null : "curl not found (Debian package curl; scripts/provision.sh installs it)";
if (curlMissing) console.warn(`tests/nix/modelDownload: resume tests skipped: ${curlMissing}`);

/**
 * A loopback HTTP server for the real curl: serves `files` by path with HTTP
 * Range (206, and 416 past the end), can cut the first response after `cutAfter`
 * bytes, or ignore Range altogether. Records each request's path and Range.
 */
async function rangeServer(files: Record<string, Buffer>, opts: { cutAfter?: number; ignoreRange?: boolean } = {}) {
  const requests: { url: string; range: string | null }[] = [];
  let served = 0;
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? "", range: req.headers.range ?? null });
    const body = files[req.url ?? ""];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const m = opts.ignoreRange ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = m ? Number(m[1]) : 0;
    if (start >= body.length) {
      res.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
      return;
    }
    const rest = body.subarray(start);
    res.writeHead(m ? 206 : 200, {
      "content-length": rest.length,
      "accept-ranges": "bytes",
      ...(m && { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` }),
    });
    if (served++ === 0 && opts.cutAfter !== undefined) {
      // The connection drops part-way through the first download.
      res.write(rest.subarray(0, opts.cutAfter), () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    res.end(rest);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Runs the script with the real curl, without blocking this process (the server above answers from it). */
function runScript(env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn("bash", [script], { env: { PATH: process.env.PATH, ...env } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolveRun({ status, stderr }));
  });
}

describe.skipIf(curlMissing !== null)("ai-model-download with the real curl against a loopback server", () => {
  const blob = randomBytes(3 * 1024 * 1024 + 123);
  const file = "big.gguf";
  const path = `/org/good/resolve/${REV}/${file}`;

  function setup(size: number | "-" = blob.length) {
    const dir = mkdtempSync(join(tmpdir(), "ai-model-download-resume-"));
    const models = join(dir, "models");
    const aq = join(dir, "aq");
    writeFileSync(aq, "#!/usr/bin/env bash\nexit 0\n");
    chmodSync(aq, 0o755);
    writeFileSync(join(dir, "allowlist"), "org/good\n");
    writeFileSync(join(dir, "plan.tsv"), ["big", "org/good", file, sha(blob), size, REV].join("\t") + "\n");
    return {
      models,
      env: (base: string) => ({
        AI_STACK_MODELS_DIR: models,
        AI_STACK_DOWNLOAD_PLAN: join(dir, "plan.tsv"),
        AI_STACK_ALLOWLIST: join(dir, "allowlist"),
        AI_STACK_DOWNLOAD_BASE_URL: base,
        AQ: aq,
      }),
      status: () => JSON.parse(readFileSync(join(models, "download-status.json"), "utf8")) as { models: Record<string, Record<string, unknown>> },
    };
  }

  it("keeps the partial file when the connection drops, and the next run resumes it with a Range request", async () => {
    const server = await rangeServer({ [path]: blob }, { cutAfter: 1024 * 1024 });
    try {
      const box = setup();
      const first = await runScript(box.env(server.url));
      expect(first.status, first.stderr).toBe(75);
      const part = partial(sha(blob), file);
      const kept = statSync(join(box.models, part)).size;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(blob.length);
      expect(existsSync(join(box.models, file))).toBe(false);
      expect(box.status().models[file]).toMatchObject({ state: "failed", partial: part, bytes_total: blob.length });

      const second = await runScript(box.env(server.url));
      expect(second.status, second.stderr).toBe(0);
      expect(second.stderr).toMatch(new RegExp(`resuming ${server.url}${path} at byte ${kept}`));
      expect(server.requests).toEqual([
        { url: path, range: null },
        { url: path, range: `bytes=${kept}-` },
      ]);
      expect(readFileSync(join(box.models, file)).equals(blob)).toBe(true);
      expect(readdirSync(join(box.models, ".incoming"))).toEqual([]);
      expect(box.status().models[file]).toEqual({ model: "big", state: "installed", bytes_total: blob.length });
    } finally {
      await server.close();
    }
  });

  it("verifies a partial file that is already whole when the server answers 416 (the size was unknown)", async () => {
    const server = await rangeServer({ [path]: blob });
    try {
      const box = setup("-");
      mkdirSync(join(box.models, ".incoming"), { recursive: true });
      writeFileSync(join(box.models, partial(sha(blob), file)), blob);
      const r = await runScript(box.env(server.url));
      expect(r.status, r.stderr).toBe(0);
      expect(server.requests).toEqual([{ url: path, range: `bytes=${blob.length}-` }]);
      expect(readFileSync(join(box.models, file)).equals(blob)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("starts again from the first byte when the server cannot resume", async () => {
    const server = await rangeServer({ [path]: blob }, { ignoreRange: true });
    try {
      const box = setup();
      mkdirSync(join(box.models, ".incoming"), { recursive: true });
      writeFileSync(join(box.models, partial(sha(blob), file)), blob.subarray(0, 1000));
      const first = await runScript(box.env(server.url));
      expect(first.status, first.stderr).toBe(75);
      expect(first.stderr).toMatch(/the server cannot resume/);
      expect(existsSync(join(box.models, partial(sha(blob), file)))).toBe(false);
      const second = await runScript(box.env(server.url));
      expect(second.status, second.stderr).toBe(0);
      expect(readFileSync(join(box.models, file)).equals(blob)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("downloads over plain http only from a loopback mirror", async () => {
    const box = setup();
    const r = await runScript(box.env("http://models.example"));
    expect(r.status).toBe(75);
    expect(r.stderr).toMatch(/Protocol "http" not supported or disabled|protocol.*disabled/i);
  });
});
