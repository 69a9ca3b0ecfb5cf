import { describe, expect, it } from "vitest";
import { redactSecrets } from "../../../services/aidb/safety/redactSecrets.js";

describe("redactSecrets (first cut)", () => {
  it("redacts an assignment and leaves prose alone", () => {
    expect(redactSecrets("DB_PASSWORD=hunter2").text).toBe("DB_PASSWORD=[REDACTED:password_assignment]");
    expect(redactSecrets("The password is stored in a file.").total).toBe(0);
  });
});
