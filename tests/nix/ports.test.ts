import { describe, expect, it } from "vitest";
import ports from "../../lib/ports.json" with { type: "json" };
import { aiLib, nixEval, nixEvalError, nixMissing } from "./nixEval.js";

if (nixMissing) console.warn(`tests/nix/ports: skipped: ${nixMissing}`);

describe.skipIf(nixMissing !== null)("port collision checks (lib/ports.nix)", () => {
  it("finds no collision in lib/ports.json, and Nix reads the same ports", () => {
    expect(nixEval(`${aiLib}.portCollisions ${aiLib}.ports`)).toEqual([]);
    expect(nixEval(`${aiLib}.ports`)).toEqual(ports);
  });

  it("reports every name that shares a port", () => {
    const collisions = nixEval(`${aiLib}.portCollisions (${aiLib}.ports // { openWebui = ${ports.inferenceChat}; other = ${ports.grafana}; })`);
    expect(collisions).toEqual([
      { port: ports.grafana, names: ["grafana", "other"] },
      { port: ports.inferenceChat, names: ["inferenceChat", "openWebui"] },
    ]);
  });

  it("ignores unset optional ports (null) and rejects values that are not TCP ports", () => {
    expect(nixEval(`${aiLib}.portCollisions { a = null; b = null; c = 1; }`)).toEqual([]);
    expect(nixEvalError(`${aiLib}.portCollisions { a = 70000; }`)).toMatch(/not a TCP port.*a=70000/);
    expect(nixEvalError(`${aiLib}.portCollisions { a = "80"; }`)).toMatch(/not a TCP port/);
  });

  it("names a lib/ports.json entry and a stack unit for every settings block the module renders", () => {
    const table = nixEval<Record<string, { unit: string; service: string; port: string }>>(`${aiLib}.settingsServices`);
    const unitNames = nixEval<string[]>(`${aiLib}.unitNames`);
    expect(Object.keys(table).sort()).toEqual(["aidb", "coordinator", "embeddings", "inference"]);
    for (const [name, s] of Object.entries(table)) {
      expect(Object.keys(ports), name).toContain(s.port);
      expect(unitNames, name).toContain(s.unit);
      expect(["inference", "aidb", "coordinator"], name).toContain(s.service);
    }
    // No two services listen on the same entry.
    expect(new Set(Object.values(table).map((s) => s.port)).size).toBe(4);
    expect(nixEval(`${aiLib}.loopback`)).toBe("127.0.0.1");
  });

  it("checkPorts throws with a readable message", () => {
    expect(nixEvalError(`${aiLib}.checkPorts { x = 1; y = 1; }`)).toMatch(/port 1 is used by x and y/);
    expect(nixEval(`${aiLib}.checkPorts { x = 1; y = 2; }`)).toEqual({ x: 1, y: 2 });
  });
});
