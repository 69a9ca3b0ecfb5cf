import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";

const script = resolve(import.meta.dirname, "../../nix/scripts/ai-model-download.sh");
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

interface PlanLine {
  id: string;
  repo: string;
  file: string;
  sha256: string | null;
  size?: number;
}

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
      writeFileSync(planFile, plan.map((p) => [p.id, p.repo, p.file, p.sha256 ?? "-", p.size ?? "-"].join("\t") + "\n").join(""));
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
    expect(box.curlCalls()).toEqual(["https://models.example/org/good/resolve/main/a.gguf", "https://models.example/org/other/resolve/main/b.gguf"]);
    expect(box.aqCalls()).toEqual([`${join(box.models, ".incoming", "a.gguf")} ${sha("model a")}`, `${join(box.models, ".incoming", "b.gguf")} ${sha("model b")}`]);
    const prov = box.provenance();
    expect(prov.map((p) => ({ ...p, downloaded_at: "T" }))).toEqual([
      { model: "a", hf_repo: "org/good", hf_file: "a.gguf", sha256: sha("model a"), downloaded_at: "T" },
      { model: "b", hf_repo: "org/other", hf_file: "b.gguf", sha256: sha("model b"), downloaded_at: "T" },
    ]);
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
    expect(box.curlCalls()).toEqual(["https://models.example/org/good/resolve/main/a.gguf"]);
    expect(box.provenance().map((p) => p.model)).toEqual(["a"]);
  });

  it("refuses an entry without a sha256 until the registry has one", () => {
    box.serve("a.gguf", "model a");
    const r = box.run([{ id: "a", repo: "org/good", file: "a.gguf", sha256: null }]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refused a: registry entry has no sha256; fill in its real sha256 in lib\/models.json/);
    expect(box.curlCalls()).toEqual([]);
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

  it("fails when the download fails", () => {
    const r = box.run([{ id: "a", repo: "org/good", file: "missing.gguf", sha256: sha("x") }]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refused a: download failed/);
  });
});
