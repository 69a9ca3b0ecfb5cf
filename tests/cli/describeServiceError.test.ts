import { describe, expect, it } from "vitest";
import { describeServiceError } from "../../services/cli/describeServiceError.js";
import { ServiceError } from "../../services/shared/http/ServiceError.js";

const http = (status: number, body: Record<string, unknown> | undefined, fields: { path: string; message: string }[] = []) =>
  new ServiceError("the coordinator", "http", `the coordinator at http://127.0.0.1:1/query answered ${status}: raw text`, status, undefined, fields, body);

describe("describeServiceError: what aq prints for a failed call", () => {
  it("an error answer: the service's message, then the fields it does not already say", () => {
    expect(describeServiceError(http(400, { message: "rating must be 1 (good) or -1 (bad)" }, [{ path: "body.note", message: "too long" }]))).toBe(
      "rating must be 1 (good) or -1 (bad) (body.note: too long)",
    );
    const said = { path: "body.query", message: "at most 4000 characters" };
    expect(describeServiceError(http(400, { message: "body.query: at most 4000 characters" }, [said]))).toBe("body.query: at most 4000 characters");
  });

  it("an error answer without a message says the status; one that is not JSON keeps the whole error", () => {
    expect(describeServiceError(http(502, { error: "bad_gateway" }))).toBe("HTTP 502");
    expect(describeServiceError(http(502, undefined))).toBe("the coordinator at http://127.0.0.1:1/query answered 502: raw text");
  });

  it("any other failure is its message", () => {
    const unreachable = new ServiceError("the coordinator", "unreachable", "cannot reach the coordinator at http://127.0.0.1:1/status: ECONNREFUSED");
    expect(describeServiceError(unreachable)).toBe(unreachable.message);
    expect(describeServiceError(new Error("boom"))).toBe("boom");
  });
});
