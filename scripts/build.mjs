// Bundles the `aq` CLI into dist/ with esbuild. It is the one entry point:
// the services run as `aq serve <service>` (the NixOS units and `aq up` alike).
// node-llama-cpp and PGlite stay external: they load native binaries, WASM and
// extension archives from files next to their own modules (see docs/architecture.md).
import { build } from "esbuild";
import { chmod } from "node:fs/promises";

const entryPoints = { aq: "services/cli/aq.ts" };

await build({
  entryPoints,
  outdir: "dist",
  bundle: true,
  // Chunks let `aq` load a command (and node-llama-cpp) only when it runs.
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  legalComments: "none",
  logLevel: "warning",
  external: ["node-llama-cpp", "@electric-sql/*", "pg-native"],
  // Some bundled CommonJS dependencies call require(); give ESM output one.
  banner: {
    js: "import { createRequire as __aqCreateRequire } from 'node:module'; const require = __aqCreateRequire(import.meta.url);",
  },
});
await chmod("dist/aq.js", 0o755);
console.log(`built ${Object.keys(entryPoints).join(", ")} into dist/`);
