// Builds the services, bundles the benchmarks and runs them in a fresh Node
// process. Arguments select suites: `npm run bench -- inference`.
import { execFileSync } from "node:child_process";
import { build } from "esbuild";

process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD ??= "true";
execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
await build({
  entryPoints: ["bench/runBenchmarks.ts"],
  outfile: ".bench-artifacts/runBenchmarks.mjs",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  logLevel: "warning",
  external: ["node-llama-cpp", "@electric-sql/*", "pg-native"],
  banner: { js: "import { createRequire as __c } from 'node:module'; const require = __c(import.meta.url);" },
  define: { "import.meta.dirname": JSON.stringify(process.cwd() + "/bench") },
});
execFileSync(process.execPath, [".bench-artifacts/runBenchmarks.mjs", ...process.argv.slice(2)], { stdio: "inherit" });
