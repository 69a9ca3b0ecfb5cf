#!/usr/bin/env bash
# Installs what the test suite needs on Debian 12: system packages (as root)
# and the npm dependencies. Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the suite talks to for real:
#   redis-server  embedding cache (aidb) and its outage tests
#   prometheus    promtool and a real scraper for the dashboard/alert tests
#   prometheus-node-exporter  the `node` job of the dashboard proof (RAM, and the aq gpu-metrics textfile)
#   chromium      the command-center page, driven by playwright-core
#   nix-bin       evaluates lib/ and the NixOS modules
#   systemd       systemd-analyze security scores of the rendered units
#   (the linter) shellcheck: checks the model-download script, as the Nix build does
apt_packages=(redis-server prometheus prometheus-node-exporter chromium nix-bin systemd shellcheck)

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "provision: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "provision: missing Debian packages: ${missing[*]} (run as root to install); tests that need them will say they were skipped" >&2
  fi
fi

# npm dependencies, exactly as locked. node-llama-cpp ships prebuilt llama.cpp
# binaries inside its packages; it must never try to download or compile one.
export NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
# `npm install` rather than `npm ci`: node-llama-cpp lists optional binary
# packages for every platform, and those of other platforms that the registry
# lacks have no lock entry, which `npm ci` refuses. `npm install` installs
# exactly the locked versions and skips the missing optional ones.
stamp=node_modules/.package-lock.json
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  echo "provision: npm install (from package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
fi
