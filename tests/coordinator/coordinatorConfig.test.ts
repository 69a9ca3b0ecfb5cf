import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { ConfigError } from "../../services/shared/config/ConfigError.js";
import { loadCoordinatorConfig } from "../../services/coordinator/loadCoordinatorConfig.js";

const run = promisify(execFile);

describe("coordinator config", () => {
  it("has working defaults", () => {
    const c = loadCoordinatorConfig({ env: {} });
    expect(c).toMatchObject({ port: 8003, compressionEnabled: true, abVariantBFraction: 0, gapScoreThreshold: 0.4, queryRewrite: false, queryRewriteTimeoutMs: 4000 });
    expect(c.redisUrl).toBeUndefined();
    expect(c.remoteLlmUrl).toBeUndefined();
  });

  it("reads AI_CONTEXT_COMPRESSION_ENABLED and AB_TEST_VARIANT_B_FRACTION; the prefixed names win", () => {
    const c = loadCoordinatorConfig({ env: { AI_CONTEXT_COMPRESSION_ENABLED: "false", AB_TEST_VARIANT_B_FRACTION: "0.25" } });
    expect(c.compressionEnabled).toBe(false);
    expect(c.abVariantBFraction).toBe(0.25);
    const both = loadCoordinatorConfig({ env: { AB_TEST_VARIANT_B_FRACTION: "0.25", AI_COORDINATOR_AB_VARIANT_B_FRACTION: "0.5" } });
    expect(both.abVariantBFraction).toBe(0.5);
  });

  it.each([
    [{ AB_TEST_VARIANT_B_FRACTION: "1.5" }, "abVariantBFraction"],
    [{ AI_CONTEXT_COMPRESSION_ENABLED: "maybe" }, "compressionEnabled"],
    [{ AI_COORDINATOR_REDIS_URL: "http://x" }, "redisUrl"],
    [{ AI_COORDINATOR_MAX_QUERY_CHARS: "0" }, "maxQueryChars"],
    [{ AI_COORDINATOR_REMOTE_LLM_KEY_FILE: "/k" }, "remoteLlmKeyFile"],
  ])("refuses %o naming %s", (env, key) => {
    expect(() => loadCoordinatorConfig({ env })).toThrow(ConfigError);
    expect(() => loadCoordinatorConfig({ env })).toThrow(new RegExp(key));
  });

  it("aq serve coordinator exits 2 on a bad flag or value, naming it", async () => {
    const aq = inject("aqBin");
    const bad = await run(process.execPath, [aq, "serve", "coordinator", "--no-such-flag", "1"]).catch((e) => e);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no-such-flag/);
    const value = await run(process.execPath, [aq, "serve", "coordinator", "--max-tokens", "zero"], { env: { ...process.env, AI_STACK_CONFIG: "" } }).catch((e) => e);
    expect(value.code).toBe(2);
    expect(value.stderr).toMatch(/maxTokens/);
  });
});
