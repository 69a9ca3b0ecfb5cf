import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The alert rules (nix/monitoring/alerts.yml) and their promtool unit tests
// (nix/monitoring/alerts.test.yml): promtool accepts the rules and passes the
// tests, every alert has a firing and a quiet case, and every alert carries
// the labels and annotations the runbook relies on.

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../..");
const rulesPath = join(repoRoot, "nix/monitoring/alerts.yml");
const testsPath = join(repoRoot, "nix/monitoring/alerts.test.yml");

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
const promtoolMissing = has("promtool") ? null : "promtool not found (Debian package prometheus)";
if (promtoolMissing) console.warn(`tests/observability/alertRules: promtool checks skipped: ${promtoolMissing}`);

// ---------------------------------------------------------------------------
// A small YAML reader for the block style these two files use: mappings,
// sequences, plain and quoted scalars, `[]`/`{}` and simple one-line flow
// collections, `|`/`>` block scalars, comments. Anything else (anchors,
// aliases, tags, several documents, multi-line plain scalars) throws, so a
// file this cannot read fails the test instead of being half-read.

type Yaml = string | null | Yaml[] | { [key: string]: Yaml };

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (quote === '"' && c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i).trimEnd();
    }
  }
  return line.trimEnd();
}

const keyPattern = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#\-[\]{},?:|>&*!%@`][^:#]*?|-[^\s:#][^:#]*?)\s*:(?:\s+(.*))?$/;

function parseScalar(text: string, where: string): Yaml {
  const t = text.trim();
  if (t === "" || t === "~" || t === "null") return null;
  if (/^[&*!%@`]/.test(t) || t === "---") throw new Error(`${where}: unsupported YAML: ${t}`);
  if (t.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(t)) throw new Error(`${where}: unterminated string: ${t}`);
    return JSON.parse(t) as string;
  }
  if (t.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(t)) throw new Error(`${where}: unterminated string: ${t}`);
    return t.slice(1, -1).replace(/''/g, "'");
  }
  if (t.startsWith("[")) {
    if (!t.endsWith("]")) throw new Error(`${where}: unsupported flow sequence: ${t}`);
    const inner = t.slice(1, -1).trim();
    return inner === "" ? [] : splitFlow(inner, where).map((x) => parseScalar(x, where));
  }
  if (t.startsWith("{")) {
    if (!t.endsWith("}")) throw new Error(`${where}: unsupported flow mapping: ${t}`);
    const out: Record<string, Yaml> = {};
    const inner = t.slice(1, -1).trim();
    for (const entry of inner === "" ? [] : splitFlow(inner, where)) {
      const m = keyPattern.exec(entry.trim());
      if (!m || m[2] === undefined) throw new Error(`${where}: unsupported flow entry: ${entry}`);
      out[parseScalar(m[1], where) as string] = parseScalar(m[2], where);
    }
    return out;
  }
  return t;
}

/** Splits a one-line flow collection's inside on top-level commas; nesting throws. */
function splitFlow(inner: string, where: string): string[] {
  const parts: string[] = [];
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (quote) {
      if (quote === '"' && c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if ("[]{}".includes(c)) throw new Error(`${where}: nested flow collections are not supported: ${inner}`);
    else if (c === ",") {
      parts.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(inner.slice(start));
  return parts;
}

function parseYaml(src: string, name = "yaml"): Yaml {
  const lines = src.replace(/\r\n/g, "\n").split("\n");
  if (lines.some((l) => /\t/.test(l.match(/^\s*/)![0]))) throw new Error(`${name}: tabs in indentation`);
  let pos = 0;
  const where = () => `${name}:${pos + 1}`;
  const indentOf = (l: string) => l.length - l.trimStart().length;

  /** Index of the next line with content (not blank, not only a comment). */
  function nextContent(): number {
    let i = pos;
    while (i < lines.length && stripComment(lines[i]).trim() === "") i++;
    return i;
  }

  function blockScalar(header: string, parentIndent: number): string {
    const m = /^([|>])([-+]?)$/.exec(header);
    if (!m) throw new Error(`${where()}: unsupported block scalar header ${header}`);
    const body: string[] = [];
    let indent = -1;
    while (pos < lines.length) {
      const l = lines[pos];
      if (l.trim() === "") {
        body.push("");
        pos++;
        continue;
      }
      const ind = indentOf(l);
      if (ind <= parentIndent) break;
      if (indent < 0) indent = ind;
      if (ind < indent) throw new Error(`${where()}: block scalar line less indented than its first line`);
      body.push(l.slice(indent));
      pos++;
    }
    let trailing = 0;
    while (body.length && body[body.length - 1] === "") {
      body.pop();
      trailing++;
    }
    let text = m[1] === "|" ? body.join("\n") : body.map((l) => (l === "" ? "\n" : l)).join(" ").replace(/ ?\n ?/g, "\n");
    if (m[2] === "") text += "\n";
    else if (m[2] === "+") text += "\n".repeat(trailing + 1);
    return text;
  }

  /** The value after `key:` or `-` when it is not on the same line. */
  function nestedValue(parentIndent: number, allowSameIndentSequence: boolean): Yaml {
    const i = nextContent();
    if (i >= lines.length) return null;
    const ind = indentOf(lines[i]);
    const text = stripComment(lines[i]).trim();
    if (ind > parentIndent || (allowSameIndentSequence && ind === parentIndent && /^-(\s|$)/.test(text))) return node(ind);
    return null;
  }

  function node(indent: number): Yaml {
    pos = nextContent();
    const text = stripComment(lines[pos]).trim();
    if (/^-(\s|$)/.test(text)) return sequence(indent);
    if (keyPattern.test(text)) return mapping(indent);
    const value = parseScalar(text, where());
    pos++;
    const after = nextContent();
    if (after < lines.length && indentOf(lines[after]) > indent) throw new Error(`${name}:${after + 1}: multi-line plain scalars are not supported`);
    return value;
  }

  function mapping(indent: number): Record<string, Yaml> {
    const out: Record<string, Yaml> = {};
    for (;;) {
      pos = nextContent();
      if (pos >= lines.length) return out;
      const ind = indentOf(lines[pos]);
      if (ind < indent) return out;
      if (ind > indent) throw new Error(`${where()}: unexpected indentation`);
      const text = stripComment(lines[pos]).trim();
      if (/^-(\s|$)/.test(text)) return out;
      const m = keyPattern.exec(text);
      if (!m) throw new Error(`${where()}: expected "key: value", got ${text}`);
      const key = parseScalar(m[1], where());
      if (typeof key !== "string") throw new Error(`${where()}: unsupported key ${m[1]}`);
      if (Object.hasOwn(out, key)) throw new Error(`${where()}: duplicate key ${key}`);
      const rest = (m[2] ?? "").trim();
      pos++;
      if (/^[|>]/.test(rest)) out[key] = blockScalar(rest, indent);
      else if (rest === "") out[key] = nestedValue(indent, true);
      else out[key] = parseScalar(rest, where());
    }
  }

  function sequence(indent: number): Yaml[] {
    const out: Yaml[] = [];
    for (;;) {
      pos = nextContent();
      if (pos >= lines.length) return out;
      const ind = indentOf(lines[pos]);
      if (ind < indent) return out;
      if (ind > indent) throw new Error(`${where()}: unexpected indentation`);
      const text = stripComment(lines[pos]).trim();
      if (!/^-(\s|$)/.test(text)) return out;
      const rest = text.slice(1).trim();
      if (rest === "") {
        pos++;
        out.push(nestedValue(indent, false));
      } else if (/^[|>]/.test(rest)) {
        pos++;
        out.push(blockScalar(rest, indent));
      } else if (keyPattern.test(rest) || /^-(\s|$)/.test(rest)) {
        // "- key: value": the item is a mapping (or sequence) indented to where its first key starts.
        const raw = lines[pos];
        const dash = raw.indexOf("-");
        const itemIndent = dash + 1 + (raw.slice(dash + 1).length - raw.slice(dash + 1).trimStart().length);
        lines[pos] = " ".repeat(itemIndent) + raw.slice(itemIndent);
        out.push(node(itemIndent));
      } else {
        out.push(parseScalar(rest, where()));
        pos++;
      }
    }
  }

  const first = nextContent();
  if (first >= lines.length) return null;
  const result = node(indentOf(lines[first]));
  pos = nextContent();
  if (pos < lines.length) throw new Error(`${where()}: unexpected content: ${lines[pos].trim()}`);
  return result;
}

// ---------------------------------------------------------------------------

type Obj = Record<string, Yaml>;
const isObj = (v: Yaml | undefined): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const asList = (v: Yaml | undefined): Yaml[] => (Array.isArray(v) ? v : []);

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Obj;
  annotations: Obj;
}

function readRules(): { alerts: AlertRule[]; records: string[] } {
  const doc = parseYaml(readFileSync(rulesPath, "utf8"), "alerts.yml");
  if (!isObj(doc)) throw new Error("alerts.yml: not a mapping");
  const alerts: AlertRule[] = [];
  const records: string[] = [];
  for (const group of asList(doc.groups)) {
    if (!isObj(group)) throw new Error("alerts.yml: a group is not a mapping");
    for (const rule of asList(group.rules)) {
      if (!isObj(rule)) throw new Error("alerts.yml: a rule is not a mapping");
      if (typeof rule.record === "string") records.push(rule.record);
      else
        alerts.push({
          alert: String(rule.alert),
          expr: String(rule.expr),
          for: typeof rule.for === "string" ? rule.for : undefined,
          labels: isObj(rule.labels) ? rule.labels : {},
          annotations: isObj(rule.annotations) ? rule.annotations : {},
        });
    }
  }
  return { alerts, records };
}

interface Case {
  test: string;
  alertname: string;
  evalTime: string;
  firing: boolean;
}

function readCases(): { ruleFiles: string[]; cases: Case[] } {
  const doc = parseYaml(readFileSync(testsPath, "utf8"), "alerts.test.yml");
  if (!isObj(doc)) throw new Error("alerts.test.yml: not a mapping");
  const cases: Case[] = [];
  for (const test of asList(doc.tests)) {
    if (!isObj(test)) throw new Error("alerts.test.yml: a test is not a mapping");
    for (const c of asList(test.alert_rule_test)) {
      if (!isObj(c)) throw new Error("alerts.test.yml: an alert_rule_test entry is not a mapping");
      const exp = c.exp_alerts;
      if (exp !== undefined && exp !== null && !Array.isArray(exp)) throw new Error(`alerts.test.yml: exp_alerts of ${String(c.alertname)} is not a list`);
      cases.push({ test: String(test.name ?? ""), alertname: String(c.alertname), evalTime: String(c.eval_time), firing: asList(exp).length > 0 });
    }
  }
  return { ruleFiles: asList(doc.rule_files).map(String), cases };
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    anchors.add(
      m[1]
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-"),
    );
  }
  for (const m of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  return anchors;
}

describe("the YAML reader used here", () => {
  it("reads the shapes the rule files use and refuses what it does not know", () => {
    const doc = parseYaml(
      [
        "# comment",
        "a: 1 # trailing",
        "b: []",
        "c:",
        "  - x: 'it''s'",
        '    y: "q: \\"z\\""',
        "  - plain # c",
        "d:",
        "- {k: v, n: \"2\"}",
        "e: |",
        "  line 1",
        "    line 2",
        "f: [a, 'b']",
        "g:",
        "  h: >-",
        "    folded",
        "    text",
      ].join("\n"),
    );
    expect(doc).toEqual({
      a: "1",
      b: [],
      c: [{ x: "it's", y: 'q: "z"' }, "plain"],
      d: [{ k: "v", n: "2" }],
      e: "line 1\n  line 2\n",
      f: ["a", "b"],
      g: { h: "folded text" },
    });
    expect(() => parseYaml("a: &x 1\nb: *x")).toThrow(/unsupported/);
    expect(() => parseYaml("a: b\n  c")).toThrow();
    expect(() => parseYaml("a: 1\na: 2")).toThrow(/duplicate/);
  });
});

describe("alert rules (nix/monitoring/alerts.yml)", () => {
  const { alerts } = readRules();

  it("reads every alert the file declares", () => {
    const declared = [...readFileSync(rulesPath, "utf8").matchAll(/^\s*-?\s*alert:\s*(\S+)/gm)].map((m) => m[1]);
    expect(alerts.map((a) => a.alert)).toEqual(declared);
    expect(new Set(declared).size).toBe(declared.length);
  });

  it("has the alerts the observability spec asks for", () => {
    const exprs = alerts.map((a) => a.expr).join("\n");
    expect(exprs).toMatch(/up\{job="ai-inference"\} == 0/);
    expect(exprs).toMatch(/amdgpu_temperature_celsius > 85/);
    expect(exprs).toMatch(/nvidia_gpu_temperature_celsius > 85/);
    expect(exprs).toMatch(/node_memory_MemAvailable_bytes \/ node_memory_MemTotal_bytes > 0\.9/);
    expect(exprs).toMatch(/node_filesystem_avail_bytes/);
    expect(exprs).toMatch(/llama_request_duration_seconds_bucket/);
    expect(exprs).toMatch(/coordinator_remote_circuit_open/);
    expect(exprs).toMatch(/embedding_cache_hit_ratio/);
  });

  it("gives every alert a severity and summary, description and runbook annotations", () => {
    for (const a of alerts) {
      expect(["critical", "warning", "info"], a.alert).toContain(a.labels.severity);
      for (const key of ["summary", "description", "runbook"]) {
        expect(typeof a.annotations[key] === "string" && (a.annotations[key] as string).trim() !== "", `${a.alert}: ${key}`).toBe(true);
      }
    }
  });

  it("points every runbook at its alert's section, and the section exists", () => {
    const docs = ["docs/operations.md"].map((p) => join(repoRoot, p)).filter(existsSync);
    const anchors = new Set(docs.flatMap((p) => [...headingAnchors(readFileSync(p, "utf8"))]));
    for (const a of alerts) {
      const anchor = `alert-${a.alert.toLowerCase()}`;
      expect(a.annotations.runbook, a.alert).toBe(`docs/operations.md#${anchor}`);
      expect(anchors.has(anchor), `no section #${anchor} in ${docs.join(", ")}`).toBe(true);
    }
  });

  it("states each latency SLO in the annotation as the number the expression compares with", () => {
    const withSlo = alerts.filter((a) => a.annotations.slo_p95_seconds !== undefined);
    expect(withSlo.length).toBeGreaterThan(0);
    for (const a of withSlo) {
      const slo = String(a.annotations.slo_p95_seconds);
      expect(slo, a.alert).toMatch(/^\d+(\.\d+)?$/);
      expect(a.expr.trim(), a.alert).toMatch(new RegExp(`\\)\\s*>\\s*${slo.replace(".", "\\.")}$`));
      expect(String(a.annotations.summary), a.alert).toContain(`${slo} s SLO`);
    }
  });
});

describe("alert rule tests (nix/monitoring/alerts.test.yml)", () => {
  const { alerts } = readRules();
  const { ruleFiles, cases } = readCases();

  it("tests alerts.yml", () => {
    expect(ruleFiles).toEqual(["alerts.yml"]);
  });

  it("has a firing case and a quiet case for every alert", () => {
    const missing: string[] = [];
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      if (!mine.some((c) => c.firing)) missing.push(`${a.alert}: no firing case`);
      if (!mine.some((c) => !c.firing)) missing.push(`${a.alert}: no quiet case`);
    }
    expect(missing).toEqual([]);
  });

  it("names only alerts that exist", () => {
    const names = new Set(alerts.map((a) => a.alert));
    expect(cases.filter((c) => !names.has(c.alertname)).map((c) => `${c.test} @${c.evalTime}: ${c.alertname}`)).toEqual([]);
  });
});

describe.skipIf(promtoolMissing !== null)("promtool", () => {
  it("accepts the rules (`promtool check rules`, as the NixOS build does)", () => {
    const r = spawnSync("promtool", ["check", "rules", rulesPath], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toMatch(/SUCCESS/);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it("passes the unit tests (`promtool test rules`)", () => {
    const r = spawnSync("promtool", ["test", "rules", testsPath], { encoding: "utf8", cwd: repoRoot });
    expect(r.stdout + r.stderr).toMatch(/SUCCESS/);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 120_000);

  it("fails the unit tests when a rule stops firing (the run is not vacuous)", () => {
    const dir = mkdtempSync(join(tmpdir(), "alert-rules-"));
    try {
      const rules = readFileSync(rulesPath, "utf8");
      expect(rules).toContain('up{job="ai-inference"} == 0');
      writeFileSync(join(dir, "alerts.yml"), rules.replace('up{job="ai-inference"} == 0', 'up{job="ai-inference"} == 2'));
      writeFileSync(join(dir, "alerts.test.yml"), readFileSync(testsPath, "utf8"));
      const r = spawnSync("promtool", ["test", "rules", join(dir, "alerts.test.yml")], { encoding: "utf8" });
      expect(r.status, r.stdout + r.stderr).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/alertname: LLMServiceDown/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
