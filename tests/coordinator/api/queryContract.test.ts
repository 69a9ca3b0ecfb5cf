import { describe, expect, it } from "vitest";
import { queryRequestSchema } from "../../../services/coordinator/api/queryContract.js";
import { formatZodIssues } from "../../../services/shared/formatZodIssues.js";

function fieldsOf(body: unknown) {
  const r = queryRequestSchema.safeParse(body);
  expect(r.success).toBe(false);
  return formatZodIssues(r.error!, "body");
}

describe("queryRequestSchema", () => {
  it("accepts a bare query and fills the flags with false", () => {
    expect(queryRequestSchema.parse({ query: "what is a flake?" })).toEqual({
      query: "what is a flake?",
      prefer_local: false,
      force_local: false,
      force_remote: false,
      stream: false,
      include_generated: false,
    });
  });

  it("accepts every field", () => {
    const body = {
      query: "q",
      project: "nixos",
      prefer_local: true,
      force_local: true,
      force_remote: false,
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" }, strict: true } },
      stream: true,
      include_generated: true,
    };
    expect(queryRequestSchema.parse(body)).toEqual(body);
    for (const type of ["text", "json_object"]) expect(queryRequestSchema.parse({ query: "q", response_format: { type } }).response_format).toEqual({ type });
  });

  it("refuses force_local with force_remote, naming both fields", () => {
    const fields = fieldsOf({ query: "q", force_local: true, force_remote: true });
    expect(fields.map((f) => f.path).sort()).toEqual(["body.force_local", "body.force_remote"]);
    for (const f of fields) expect(f.message).toMatch(/force_local.*force_remote/);
  });

  it.each([
    ["a missing query", {}, "body.query"],
    ["an empty query", { query: "" }, "body.query"],
    ["a non-string query", { query: 42 }, "body.query"],
    ["an empty project", { query: "q", project: "  " }, "body.project"],
    ["a string flag", { query: "q", stream: "yes" }, "body.stream"],
    ["an unknown response format", { query: "q", response_format: { type: "xml" } }, "body.response_format.type"],
    ["a json_schema without a schema", { query: "q", response_format: { type: "json_schema", json_schema: { name: "a" } } }, "body.response_format.json_schema.schema"],
    ["a json_schema with a bad name", { query: "q", response_format: { type: "json_schema", json_schema: { name: "a b", schema: {} } } }, "body.response_format.json_schema.name"],
  ])("refuses %s, naming the field", (_name, body, path) => {
    expect(fieldsOf(body).map((f) => f.path)).toContain(path);
  });

  it("refuses unknown fields", () => {
    expect(fieldsOf({ query: "q", force_locl: true })[0].message).toMatch(/force_locl/);
  });
});
