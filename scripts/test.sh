#!/usr/bin/env bash
# The whole test suite: provision, build, type-check, then every vitest test
# against real parts (node-llama-cpp with synthetic models, PGlite, Redis,
# Prometheus, Chromium, Nix). Ends with "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

bash scripts/provision.sh || { echo "provisioning failed"; echo "0 passed, 1 failed"; exit 1; }
export NODE_LLAMA_CPP_SKIP_DOWNLOAD=true

status=0
npm run --silent build || status=1
if ! npm run --silent typecheck; then
  echo "typecheck failed"
  status=1
fi

mkdir -p .test-artifacts
report=.test-artifacts/vitest-report.json
rm -f "$report"
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
vitest_status=$?

if [[ -f $report ]]; then
  # shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const extraFail = Number(process.argv[2]);
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests + extraFail} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  ' "$report" "$status"
else
  echo "0 passed, 1 failed"
  status=1
fi
if ((vitest_status != 0)); then status=1; fi
exit $status
