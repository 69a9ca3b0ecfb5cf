#!/usr/bin/env bash
# Starts the stack on this machine with embedded defaults: installs the npm
# dependencies if needed, builds, makes small synthetic models when no real
# ones are configured, then runs the inference service and aidb (PGlite in the
# data directory, embeddings from the inference service) on their ports from
# lib/ports.json. Ctrl-C stops both. Real GGUF files: set AI_INFERENCE_CHAT_MODEL (and
# AI_INFERENCE_EMBED_MODEL / AI_INFERENCE_RERANK_MODEL) before starting.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_LLAMA_CPP_SKIP_DOWNLOAD=true

stamp=node_modules/.package-lock.json
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  npm install --no-audit --no-fund --loglevel=error # see scripts/provision.sh
fi
npm run --silent build

data=${AI_STACK_DATA_DIR:-.data}
models=$data/models
mkdir -p "$models"
synth() { # file, then aq models synth flags
  local file=$1; shift
  [[ -f $file ]] || node dist/aq.js models synth --out "$file" "$@" >/dev/null
}
if [[ -z ${AI_INFERENCE_CHAT_MODEL:-} ]]; then
  synth "$models/synthetic-chat.gguf" --preset tiny
  export AI_INFERENCE_CHAT_MODEL=$models/synthetic-chat.gguf
  if [[ -z ${AI_INFERENCE_EMBED_MODEL:-} ]]; then
    synth "$models/synthetic-embed.gguf" --preset tiny --seed 2
    export AI_INFERENCE_EMBED_MODEL=$models/synthetic-embed.gguf
  fi
  if [[ -z ${AI_INFERENCE_RERANK_MODEL:-} ]]; then
    synth "$models/synthetic-rerank.gguf" --preset reranker
    export AI_INFERENCE_RERANK_MODEL=$models/synthetic-rerank.gguf
  fi
  echo "start: no model configured, serving synthetic models with random weights from $models" >&2
fi
port() { node -e 'console.log(require("./lib/ports.json")[process.argv[1]])' "$1"; }
inference_port=${AI_INFERENCE_PORT:-$(port inferenceChat)}
aidb_port=${AI_AIDB_PORT:-$(port aidb)}

pids=()
stop() {
  trap - INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap stop INT TERM

node dist/aq.js serve inference --port "$inference_port" "$@" &
pids+=($!)
for _ in $(seq 1 300); do
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "http://127.0.0.1:$inference_port/ready" && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "start: the inference service exited" >&2; exit 1; }
  sleep 0.2
done
node dist/aq.js serve aidb --data-dir "$data/aidb" --embed-url "http://127.0.0.1:$inference_port" --port "$aidb_port" &
pids+=($!)
echo "start: inference on http://127.0.0.1:$inference_port, aidb on http://127.0.0.1:$aidb_port (Ctrl-C stops both)" >&2
wait -n || true
stop
