import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchStack, type RunningStack } from "../../services/stack/launchStack.js";
import { runAq } from "../helpers/spawnAq.js";
import { freePort } from "../helpers/startRedis.js";

const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const summary = new RegExp(`^local \\([a-z_]+\\), confidence \\d\\.\\d{3}, \\d+ sources?, cache (hit|miss), \\d+ ms, id (${uuid.source}); rate it: aq rate \\2 good\\|bad$`);

/** Runs `aq` with `input` on its stdin. */
function runAqWithStdin(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [inject("aqBin"), ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const lastLine = (text: string) => text.trimEnd().split("\n").at(-1) ?? "";

describe("aq ask/rate/gaps/status against a running stack", () => {
  let stack: RunningStack;
  let dataDir: string;
  let coordinator: string;
  let answeredId: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "aq-coordinator-cli-"));
    const models = inject("models");
    stack = await launchStack({
      aqBin: inject("aqBin"),
      dataDir,
      chatModel: models.chatShort,
      embedModel: models.embed,
      ports: { inference: await freePort(), embeddings: await freePort(), aidb: await freePort(), coordinator: await freePort() },
      extraArgs: { coordinator: ["--max-tokens", "16"] },
    });
    coordinator = stack.urls.coordinator;
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 120_000);

  it("aq gaps prints nothing at all when there are no gaps", async () => {
    const r = await runAq(["gaps", "--url", coordinator]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
  });

  it("aq ingest stores a document in aidb", async () => {
    const file = join(dataDir, "flakes.md");
    await writeFile(file, "# Nix flakes\n\nNix flakes pin their inputs in flake.lock, so a build is reproducible.\n");
    const r = await runAq(["ingest", file, "--project", "docs", "--url", stack.urls.aidb]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1 stored, 0 duplicates, 0 failed$/m);
  });

  it("aq ask prints the answer, then a plain summary line with the id to rate", async () => {
    const r = await runAq(["ask", "how do nix flakes pin their inputs?", "--project", "docs", "--url", coordinator]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.slice(0, -1).join("\n").trim()).not.toBe("");
    // Not a terminal: no ANSI escapes.
    expect(r.stdout).not.toContain("\x1b[");
    const m = summary.exec(lastLine(r.stdout));
    expect(m, lastLine(r.stdout)).not.toBeNull();
    answeredId = m![2];
  });

  it("aq ask --json prints the raw response", async () => {
    const r = await runAq(["ask", "what does flake.lock record?", "--project", "docs", "--json", "--url", coordinator]);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(body.interaction_id).toMatch(uuid);
    expect(body.backend).toBe("local");
    expect(typeof body.response).toBe("string");
    expect((body.response as string).length).toBeGreaterThan(0);
    expect(body.routing).toHaveProperty("reason");
    expect(body.timings).toHaveProperty("total_ms");
  });

  it("aq ask --stream prints the tokens as they come, then the summary line", async () => {
    const r = await runAq(["ask", "why are flakes reproducible?", "--project", "docs", "--stream", "--url", coordinator]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.slice(0, -1).join("\n").trim()).not.toBe("");
    expect(lastLine(r.stdout)).toMatch(summary);
    expect(r.stdout).not.toContain("data:");

    // The same question as events: the streamed text is the tokens' text.
    const events = await runAq(["ask", "why are flakes reproducible?", "--project", "docs", "--stream", "--json", "--url", coordinator]);
    expect(events.code).toBe(0);
    const parsed = events.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; text?: string });
    expect(parsed[0].type).toBe("meta");
    expect(parsed.at(-1)!.type).toBe("done");
    expect(parsed.filter((e) => e.type === "token").length).toBeGreaterThan(0);
  });

  it("aq ask - reads the question from stdin", async () => {
    const r = await runAqWithStdin(["ask", "-", "--project", "docs", "--url", coordinator], "what is in flake.lock?\n");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(lastLine(r.stdout)).toMatch(summary);
  });

  it("aq ask passes the coordinator's refusal on, exit 1", async () => {
    const r = await runAq(["ask", "x".repeat(5000), "--url", coordinator]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^aq ask: /);
    expect(r.stderr).toContain("4000");
  });

  it("aq rate good and bad record the feedback and print a confirmation", async () => {
    expect(answeredId).toMatch(uuid);
    const good = await runAq(["rate", answeredId, "good", "--url", coordinator]);
    expect(good.stderr).toBe("");
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(new RegExp(`^recorded: good for ${answeredId} \\((linked to \\d+ documents?( of \\d+)?|no documents to link)\\)\\n$`));

    const bad = await runAq(["rate", answeredId, "bad", "--note", "wrong file name", "--url", coordinator]);
    expect(bad.code).toBe(0);
    expect(bad.stdout).toMatch(new RegExp(`^recorded: bad for ${answeredId} \\(`));
  });

  it("aq rate with an unknown id says so, exit 1", async () => {
    const id = "00000000-0000-4000-8000-000000000000";
    const r = await runAq(["rate", id, "good", "--url", coordinator]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`no interaction ${id}`);
  });

  it("aq rate refuses a rating other than good|bad before any request, exit 2", async () => {
    const r = await runAq(["rate", answeredId, "meh", "--url", coordinator]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rating: expected good or bad \(got "meh"\)/);
    const notUuid = await runAq(["rate", "42", "good", "--url", coordinator]);
    expect(notUuid.code).toBe(2);
    expect(notUuid.stderr).toContain("ID: expected an interaction id");
  });

  it("a question nothing matches becomes a gap that aq gaps prints with a suggestion", async () => {
    const question = "how do I rotate wireguard keys?";
    const asked = await runAq(["ask", question, "--project", "empty-project", "--url", coordinator]);
    expect(asked.code).toBe(0);
    // The interaction (and its gap) is written just after the answer.
    let r = await runAq(["gaps", "--url", coordinator]);
    for (let i = 0; i < 20 && !r.stdout.includes(question); i++) {
      await new Promise((res) => setTimeout(res, 250));
      r = await runAq(["gaps", "--url", coordinator]);
    }
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(new RegExp(`^1x "how do I rotate wireguard keys\\?"  best score 0\\.\\d{3}, last seen \\d{4}-\\d\\d-\\d\\dT.*\\n# Suggested: aq ingest --project empty-project <path-or-url>$`, "m"));
    expect(r.stdout.endsWith("\n")).toBe(true);

    const json = await runAq(["gaps", "--days", "1", "--json", "--url", coordinator]);
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout) as { days: number; gaps: { query_text: string; collection_searched: string }[] };
    expect(body.days).toBe(1);
    expect(body.gaps.some((g) => g.query_text === question && g.collection_searched === "empty-project")).toBe(true);
  });

  it("aq status summarises the backends, exit 0 when healthy", async () => {
    const r = await runAq(["status", "--url", coordinator]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`coordinator  ${coordinator}: healthy`);
    expect(r.stdout).toMatch(new RegExp(`^local backend   ${stack.urls.inference}: healthy, queue \\d+`, "m"));
    expect(r.stdout).toContain("remote backend  not configured");
    expect(r.stdout).toMatch(/^routing threshold [\d.]+$/m);
    expect(r.stdout).toMatch(new RegExp(`^  aidb +ok, url ${stack.urls.aidb}$`, "m"));
    expect(r.stdout).toMatch(/^degraded: none$/m);

    const json = await runAq(["status", "--json", "--url", coordinator]);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { healthy: boolean }).healthy).toBe(true);
  });
});

describe("aq ask/rate/gaps/status without a stack", () => {
  it.each([
    ["ask", ["ask", "hello"]],
    ["ask --stream", ["ask", "hello", "--stream"]],
    ["rate", ["rate", "00000000-0000-4000-8000-000000000000", "good"]],
    ["gaps", ["gaps"]],
    ["status", ["status"]],
  ])("%s against a closed port: exit 1 naming the URL", async (_name, args) => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await runAq([...args, "--url", url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`cannot reach the coordinator at ${url}`);
  });

  it.each([
    ["ask --bogus", ["ask", "hi", "--bogus"], "--bogus"],
    ["ask without a question", ["ask"], "QUESTION"],
    ["ask --force-local --force-remote", ["ask", "hi", "--force-local", "--force-remote"], "--force-local"],
    ["ask --url not-a-url", ["ask", "hi", "--url", "not-a-url"], "--url"],
    ["rate without a rating", ["rate", "00000000-0000-4000-8000-000000000000"], "rating"],
    ["gaps --days abc", ["gaps", "--days", "abc"], "--days"],
    ["gaps --days 0", ["gaps", "--days", "0"], "--days"],
    ["status --url ftp://x", ["status", "--url", "ftp://x"], "--url"],
    ["status extra", ["status", "extra"], "'extra'"],
  ])("%s: exit 2 naming what is wrong", async (_name, args, named) => {
    // No stack anywhere: a usage error must come before any request.
    const r = await runAq(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(named);
  });
});
