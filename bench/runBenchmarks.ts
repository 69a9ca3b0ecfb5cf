// `npm run bench [suite...]`: runs the benchmark suites and rewrites their
// sections of docs/benchmarks.md (other sections are kept).
//
// `--smoke` runs them at tiny sizes (seconds each, meaningless figures) and
// writes nothing unless `--out FILE` names a file; `--out FILE` also sends a
// full run's sections elsewhere.
import { join, resolve } from "node:path";
import { runSuites } from "./benchSuites.js";

const root = resolve(import.meta.dirname, "..");
const names: string[] = [];
let smoke = false;
let out: string | undefined;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--smoke") smoke = true;
  else if (args[i] === "--out") {
    out = args[++i];
    if (!out) throw new Error("--out needs a file");
  } else names.push(args[i]);
}
const file = out ? resolve(out) : smoke ? null : join(root, "docs", "benchmarks.md");
await runSuites({ root, names, smoke, file });
