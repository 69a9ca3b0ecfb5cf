import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    globalSetup: ["tests/setup/globalSetup.ts"],
    // Test files load real models and start real servers: two workers fit
    // the 2-core machines; more only make every file slower.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    env: { NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true" },
  },
});
