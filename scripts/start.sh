#!/usr/bin/env bash
# Starts the stack on this machine with embedded defaults: installs the npm
# dependencies if needed, builds, makes small synthetic models when no real
# ones are configured, and serves the inference API on its port from
# lib/ports.json. Real GGUF files: set AI_INFERENCE_CHAT_MODEL (and
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
exec node dist/aq.js serve inference "$@"
