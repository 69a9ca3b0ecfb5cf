#!/usr/bin/env bash
# ai-model-download: fetch the selected registry models into the model store,
# verify them, and record where they came from.
#
# Environment (set by nix/modules/model-download.nix):
#   AI_STACK_MODELS_DIR        the model store, e.g. /var/lib/ai-stack/models
#   AI_STACK_DOWNLOAD_PLAN     TSV, one model per line: id, hf_repo, hf_file, sha256 ("-" = unknown), size ("-" = unknown)
#   AI_STACK_ALLOWLIST         file with one allowed repository per line
#   AI_STACK_DOWNLOAD_BASE_URL e.g. https://huggingface.co
#   AQ                         the aq CLI (for `aq models inspect FILE --sha256 HEX`)
#   CURL                       optional, the curl command (tests substitute a fake)
#
# For each model: refuse it when its repository is not allowlisted or its
# sha256 is unknown; skip it when it is already present and recorded; otherwise
# download it to <store>/.incoming, check its sha256, run the GGUF safety check
# (exit 2 = refused), then move it into place and write its provenance record.
# models/provenance.json lists {model, hf_repo, hf_file, sha256, downloaded_at}
# for every model of the plan that is present. Exits 1 when any model was
# refused or failed, after trying all of them.
set -euo pipefail

models_dir=${AI_STACK_MODELS_DIR:?AI_STACK_MODELS_DIR is not set}
plan=${AI_STACK_DOWNLOAD_PLAN:?AI_STACK_DOWNLOAD_PLAN is not set}
allowlist=${AI_STACK_ALLOWLIST:?AI_STACK_ALLOWLIST is not set}
base_url=${AI_STACK_DOWNLOAD_BASE_URL:?AI_STACK_DOWNLOAD_BASE_URL is not set}
aq=${AQ:-aq}
curl_cmd=${CURL:-curl}

incoming="$models_dir/.incoming"
records="$models_dir/provenance.d"
mkdir -p "$incoming" "$records"

status=0
present=()

say() { printf 'ai-model-download: %s\n' "$*" >&2; }
refuse() {
  say "refused $1: $2"
  status=1
}

while IFS=$'\t' read -r id repo file sha size || [ -n "${id:-}" ]; do
  [ -z "${id:-}" ] && continue

  # Registry values become paths and JSON strings below: allow only plain characters.
  if [[ ! "$id" =~ ^[A-Za-z0-9._-]+$ || ! "$repo" =~ ^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$ || ! "$file" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
    refuse "$id" "registry entry has unexpected characters (id '$id', repo '$repo', file '$file')"
    continue
  fi
  if ! grep -qxF -- "$repo" "$allowlist"; then
    refuse "$id" "repository $repo is not on the registry allowlist"
    continue
  fi
  if [[ ! "$sha" =~ ^[0-9a-f]{64}$ ]]; then
    refuse "$id" "registry entry has no sha256; fill in its real sha256 in lib/models.json"
    continue
  fi

  dest="$models_dir/$file"
  record="$records/$id.json"
  if [ -f "$dest" ] && [ -f "$record" ] && grep -qF "\"sha256\": \"$sha\"" "$record"; then
    if [[ "$size" =~ ^[0-9]+$ ]] && [ "$(stat -c %s "$dest")" != "$size" ]; then
      say "$id: $file has the wrong size; downloading it again"
    else
      say "$id: $file is present and verified"
      present+=("$id")
      continue
    fi
  fi

  tmp="$incoming/$file"
  url="$base_url/$repo/resolve/main/$file"
  say "$id: downloading $url"
  if ! "$curl_cmd" --fail --location --silent --show-error --proto '=https' --proto-redir '=https' \
    --retry 3 --output "$tmp" "$url"; then
    rm -f "$tmp"
    refuse "$id" "download failed"
    continue
  fi

  got=$(sha256sum "$tmp" | cut -d' ' -f1)
  if [ "$got" != "$sha" ]; then
    rm -f "$tmp"
    refuse "$id" "sha256 mismatch: expected $sha, got $got"
    continue
  fi

  set +e
  "$aq" models inspect "$tmp" --sha256 "$sha"
  rc=$?
  set -e
  if [ "$rc" -eq 2 ]; then
    rm -f "$tmp"
    refuse "$id" "the GGUF safety check (aq models inspect) refused $file"
    continue
  elif [ "$rc" -ne 0 ]; then
    rm -f "$tmp"
    refuse "$id" "aq models inspect failed with exit code $rc"
    continue
  fi

  mv -f "$tmp" "$dest"
  printf '{"model": "%s", "hf_repo": "%s", "hf_file": "%s", "sha256": "%s", "downloaded_at": "%s"}\n' \
    "$id" "$repo" "$file" "$sha" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$record.tmp"
  mv -f "$record.tmp" "$record"
  say "$id: verified and installed as $file"
  present+=("$id")
done <"$plan"

{
  printf '['
  sep=''
  for id in "${present[@]}"; do
    printf '%s\n  ' "$sep"
    tr -d '\n' <"$records/$id.json"
    sep=','
  done
  printf '\n]\n'
} >"$models_dir/provenance.json.tmp"
mv -f "$models_dir/provenance.json.tmp" "$models_dir/provenance.json"

exit "$status"
