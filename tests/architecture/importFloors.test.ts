import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The services form floors; an import may only run down (or stay within its
// own service). shared/ is the bottom; each service may use the contracts
// and clients of the services below it; the CLI is the top.
const floors: Record<string, number> = {
  shared: 0,
  models: 1,
  registry: 1,
  gpu: 1,
  inference: 2,
  aidb: 3,
  coordinator: 4,
  stack: 5,
  cli: 6,
};

const root = resolve(import.meta.dirname, "../..");
const servicesDir = join(root, "services");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith(".ts") ? [full] : [];
  });
}

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** Every relative import of every service file (static, dynamic and `export … from`). */
function imports(): Edge[] {
  const edges: Edge[] = [];
  const pattern = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^;]*?from\s+"(\.[^"]+)"|import\(\s*"(\.[^"]+)"\s*\)/g;
  for (const file of sourceFiles(servicesDir)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(pattern)) {
      const spec = m[3] ?? m[4];
      const target = resolve(dirname(file), spec).replace(/\.js$/, ".ts");
      edges.push({ from: file, to: target, typeOnly: Boolean(m[2]) });
    }
  }
  return edges;
}

const serviceOf = (file: string): string | undefined => {
  const rel = relative(servicesDir, file);
  return rel.startsWith("..") ? undefined : rel.split("/")[0];
};

describe("import floors", () => {
  const edges = imports();

  it("finds the services' imports (the scan itself works)", () => {
    expect(edges.length).toBeGreaterThan(500);
    expect(Object.keys(floors).sort()).toEqual(readdirSync(servicesDir).sort());
  });

  it("no import runs up a floor or sideways into another service of the same floor", () => {
    const upward = edges
      .filter((e) => {
        const from = serviceOf(e.from);
        const to = serviceOf(e.to);
        if (!from || !to || from === to) return false;
        return floors[to] >= floors[from];
      })
      .map((e) => `${relative(root, e.from)} -> ${relative(root, e.to)}`);
    expect(upward).toEqual([]);
  });

  it("outside services/, only lib/ (the JSON single source of truth) is imported", () => {
    const outside = edges
      .filter((e) => !serviceOf(e.to) && !relative(root, e.to).startsWith("lib/"))
      .map((e) => `${relative(root, e.from)} -> ${relative(root, e.to)}`);
    expect(outside).toEqual([]);
  });

  it("no cycle between files", () => {
    const graph = new Map<string, string[]>();
    for (const e of edges) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (node: string) => {
      state.set(node, "open");
      stack.push(node);
      for (const next of graph.get(node) ?? []) {
        if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(root, f)).join(" -> "));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(node, "done");
    };
    for (const node of graph.keys()) if (!state.has(node)) visit(node);
    expect(cycles).toEqual([]);
  });
});
