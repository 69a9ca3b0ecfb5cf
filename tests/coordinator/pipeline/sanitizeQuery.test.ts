import { describe, expect, it } from "vitest";
import { HttpError } from "../../../services/shared/http/HttpError.js";
import { sanitizeQuery } from "../../../services/coordinator/pipeline/sanitizeQuery.js";

function thrown(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    return err as HttpError;
  }
  throw new Error("did not throw");
}

describe("sanitizeQuery", () => {
  it("passes a clean query through untouched", () => {
    expect(sanitizeQuery("what is a flake?\n\tthanks", { maxChars: 100 })).toEqual({ text: "what is a flake?\n\tthanks", removed: 0 });
  });

  it("strips NUL, controls, bidi overrides and zero-width characters and reports how many", () => {
    const r = sanitizeQuery("a\u0000b\u202Ec\u200Bd\u0085e\u2066f", { maxChars: 100 });
    expect(r).toEqual({ text: "abcdef", removed: 5 });
  });

  it("accepts a query of exactly the limit and refuses one character more with a 400 naming body.query", () => {
    expect(sanitizeQuery("x".repeat(10), { maxChars: 10 }).text).toHaveLength(10);
    const err = thrown(() => sanitizeQuery("x".repeat(11), { maxChars: 10 }));
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe("query_too_long");
    expect(err.details.fields).toEqual([{ path: "body.query", message: expect.stringContaining("10") }]);
  });

  it("counts characters as code points, after removing invisible ones", () => {
    // Emoji are two UTF-16 units each; zero-width padding is not counted.
    expect(sanitizeQuery("🙂".repeat(10), { maxChars: 10 }).text).toBe("🙂".repeat(10));
    expect(sanitizeQuery("x".repeat(10) + "\u200B".repeat(50), { maxChars: 10 })).toEqual({ text: "x".repeat(10), removed: 50 });
  });

  it("refuses a query that is empty once sanitized", () => {
    const err = thrown(() => sanitizeQuery("\u200B\u0000  ", { maxChars: 10 }));
    expect(err.statusCode).toBe(400);
    expect(err.details.fields).toEqual([expect.objectContaining({ path: "body.query" })]);
  });
});
