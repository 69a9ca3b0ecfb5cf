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
#   curl          the model-download script, run for real against a loopback server
#   iproute2      `ip`, for the LAN test's own network namespace (unshare/nsenter are util-linux)
#   postgresql-15 (+ -server-dev-15, make, gcc)  aidb's production driver against a
#                 real cluster, with pgvector built from ../shared/vendor/pgvector
apt_packages=(redis-server prometheus prometheus-node-exporter chromium nix-bin systemd shellcheck curl iproute2
  postgresql-15 postgresql-server-dev-15 make gcc libc6-dev)

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

# Debian's nix-bin names `nixbld` as its build-users-group; until that group
# exists every nix command warns about it on stderr. Nix only evaluates here,
# so an empty group is all it needs.
if command -v nix-instantiate >/dev/null && ! getent group nixbld >/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then
    groupadd --system nixbld
  else
    echo "provision: the nixbld group is missing (run as root to create it); nix prints a warning on every call" >&2
  fi
fi

# pgvector for Debian's PostgreSQL 15, built from the vendored source in a
# scratch copy (../shared may be read-only). Skipped when it is already
# installed at the vendored version.
pgvector_src=../shared/vendor/pgvector
pg_config=/usr/lib/postgresql/15/bin/pg_config
if [[ ! -d $pgvector_src ]]; then
  echo "provision: $pgvector_src is absent; the native PostgreSQL tests will say they were skipped" >&2
elif [[ ! -x $pg_config ]]; then
  echo "provision: $pg_config is missing (postgresql-server-dev-15); the native PostgreSQL tests will say they were skipped" >&2
else
  control_version() { sed -n "s/^default_version = '\(.*\)'/\1/p" "$1" 2>/dev/null || true; }
  want=$(control_version "$pgvector_src/vector.control")
  have=$(control_version "$("$pg_config" --sharedir)/extension/vector.control")
  if [[ -n $want && $want != "$have" ]]; then
    if [[ $(id -u) -eq 0 ]]; then
      echo "provision: building pgvector $want for PostgreSQL 15"
      build=$(mktemp -d)
      cp -r "$pgvector_src/." "$build"
      chmod -R u+w "$build"
      make -s -C "$build" PG_CONFIG="$pg_config" >/dev/null
      make -s -C "$build" install PG_CONFIG="$pg_config" >/dev/null
      rm -rf "$build"
    else
      echo "provision: pgvector $want is not installed for PostgreSQL 15 (run as root to build it)" >&2
    fi
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
