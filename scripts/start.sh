#!/usr/bin/env bash
# Starts the whole stack on this machine with embedded defaults: installs the
# npm dependencies if needed, builds, then runs `aq up` (inference, the
# embeddings instance, aidb on PGlite in .data/, the coordinator) on the ports
# from lib/ports.json. Without models, `aq up` generates synthetic ones with
# random weights and says so. Arguments go to `aq up` (e.g. --chat-model FILE).
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_LLAMA_CPP_SKIP_DOWNLOAD=true

stamp=node_modules/.package-lock.json
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  npm install --no-audit --no-fund --loglevel=error # see scripts/provision.sh
fi
npm run --silent build
exec node dist/aq.js up --data-dir "${AI_STACK_DATA_DIR:-.data}" "$@"
